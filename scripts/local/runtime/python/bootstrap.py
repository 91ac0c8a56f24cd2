"""FC's built-in Python runtime as the local cloud runs it (D131): one instance is this process, on the host's python3.

The local cloud starts `python3 -u bootstrap.py <config JSON>` in the function's code folder and talks to it with
FC's custom-runtime protocol, as it talks to any custom runtime's server (process-instance.ts, D123):
  POST /invoke      the event as the body (an HTTP trigger's event is built by the local cloud); the answer is
                    what the handler returned, or FC's error body with `x-fc-status: 404`
  POST /initialize  the initializer hook;  GET /pre-stop  the preStop hook
FC's request headers carry the request id and the credentials; the rest of the context comes in the config.

What the user's code sees follows FC's Python pages (handlers, context, logging, error handling, lifecycle
hooks): `handler(event, context)` with `event` as bytes, `initialize(context)`, `pre_stop(context)`, a context
object per invocation, the root logger printing `<time> <request id> [LEVEL] message` at INFO, and an unhandled
exception answered as {errorMessage, errorType, stackTrace}. Standard library only: nothing is installed.
"""

import importlib
import json
import logging
import os
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import _local_cloud_hosts

# Nothing is written into the code folder from here on (FC's /code is read-only): no __pycache__ for hot reload to
# see, nor a stale one after a save within the same second (D139). The modules above keep theirs: -B would compile
# this folder's sources at every cold start (~2 ms).
sys.dont_write_bytecode = True
CONFIG = json.loads(sys.argv[1])
# The region's *.aliyuncs.com hosts reach the emulators (D139), before the handler's module can connect anywhere.
_local_cloud_hosts.install(CONFIG['cloudHosts'])
# The user's code sees an ordinary command line, and imports from its code folder, not from this file's.
sys.argv = sys.argv[:1]
BOOTSTRAP_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or '.') != BOOTSTRAP_DIR]
CODE_DIR = os.getcwd()
sys.path.insert(0, CODE_DIR)
# FC's docs have users set PYTHONPATH=/code/python for dependencies installed there: /code is the code folder here.
for entry in reversed(os.environ.get('PYTHONPATH', '').split(os.pathsep)):
    if entry == '/code' or entry.startswith('/code/'):
        sys.path.insert(1, os.path.join(CODE_DIR, entry[len('/code/'):]) if entry != '/code' else CODE_DIR)

IS_312 = CONFIG['runtime'] == 'python3.12'


class Invocation:
    """The request being served: the logger's request id. One at a time, as FC's built-in runtimes serve."""

    request_id = ''


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        if not hasattr(record, 'request_id'):
            record.request_id = Invocation.request_id
        return True


class FcFormatter(logging.Formatter):
    """`2017-07-05T05:13:35.920Z a72df088-… [INFO] hello world`, as FC's Python logging page shows it."""

    def formatTime(self, record, datefmt=None):
        return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(record.created)) + '.%03dZ' % int(record.msecs)


def configure_logging():
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(FcFormatter('%(asctime)s %(request_id)s [%(levelname)s] %(message)s'))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)


class Credentials:
    def __init__(self, access_key_id, access_key_secret, security_token):
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.security_token = security_token


class FunctionMeta:
    def __init__(self, **fields):
        self.__dict__.update(fields)


class ServiceMeta:
    def __init__(self, name, log_project, log_store, qualifier, version_id):
        self.name = name
        self.log_project = log_project
        self.log_store = log_store
        self.qualifier = qualifier
        self.version_id = version_id


class Tracing:
    """Tracing Analysis is not emulated: no span, no endpoint, no baggage."""

    def __init__(self):
        self.span_context = None
        self.jaeger_endpoint = None
        self.span_baggages = {}

    def parseOpenTracingBaggages(self):  # noqa: N802 - the name FC's context page gives it
        return dict(self.span_baggages)


class FCContext:
    """The fields FC's context page lists for this runtime: python3.12 drops credentials and service."""

    def __init__(self, headers):
        fn = CONFIG['function']
        service = CONFIG['service']
        self.request_id = headers.get('x-fc-request-id', '')
        self.region = CONFIG['region']
        self.account_id = CONFIG['accountId']
        self._logger = logging.LoggerAdapter(logging.getLogger(), {'request_id': self.request_id})
        if IS_312:
            self.function = FunctionMeta(name=fn['name'], handler=fn['handler'], memory=fn['memory'], timeout=fn['timeout'], version_id='', qualifier=service['qualifier'])
            self.logger = self._logger
            self.log_project = service['logProject']
            self.log_store = service['logStore']
        else:
            self.credentials = Credentials(headers.get('x-fc-access-key-id', ''), headers.get('x-fc-access-key-secret', ''), headers.get('x-fc-security-token', ''))
            self.function = FunctionMeta(
                name=fn['name'], handler=fn['handler'], memory=fn['memory'], timeout=fn['timeout'],
                initializer=fn.get('initializer', ''), initialization_timeout=fn.get('initializationTimeout', 0),
            )
            self.service = ServiceMeta('', service['logProject'], service['logStore'], service['qualifier'], '')
            self.tracing = Tracing()

    def getLogger(self):
        return self._logger


class HandlerNotFound(Exception):
    pass


def load(name):
    """`index.handler` → the function `handler` of module `index` (`src/app.main` → module `src.app`)."""
    module_name, _, attribute = name.rpartition('.')
    if not module_name:
        raise HandlerNotFound('handler "%s" is not <file>.<function>' % name)
    module = importlib.import_module(module_name.replace('/', '.'))
    function = getattr(module, attribute, None)
    if not callable(function):
        raise HandlerNotFound('module "%s" has no function "%s" (handler "%s")' % (module_name, attribute, name))
    return function


def error_body(exc):
    """FC's answer to an unhandled exception; frames of this bootstrap are left out."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) != os.path.abspath(__file__)]
    if isinstance(exc, SyntaxError) and exc.filename:
        frames.append(traceback.FrameSummary(exc.filename, exc.lineno or 0, '<module>', line=(exc.text or '').strip()))
    return {
        'errorMessage': str(exc),
        'errorType': type(exc).__name__,
        'stackTrace': [['File "%s"' % f.filename, 'line %s' % f.lineno, 'in %s' % f.name, f.line or ''] for f in frames],
    }


def payload_of(result):
    """What the handler returned, as the invocation's answer: bytes as they are, text as UTF-8, anything else as JSON."""
    if result is None:
        return b''
    if isinstance(result, (bytes, bytearray, memoryview)):
        return bytes(result)
    if isinstance(result, str):
        return result.encode('utf-8')
    return json.dumps(result).encode('utf-8')


# The handler's module is imported when the instance starts, as on FC; an import that fails is every invocation's error.
configure_logging()
try:
    load(CONFIG['function']['handler'])
    IMPORT_ERROR = None
except Exception as exc:  # noqa: BLE001 - the user's module may raise anything while importing
    IMPORT_ERROR = exc
    traceback.print_exc()


def run(kind, body, headers):
    """One call of the user's code: (status, payload). A failure is FC's error body with status 404."""
    context = FCContext(headers)
    Invocation.request_id = context.request_id
    try:
        if IMPORT_ERROR is not None:
            raise IMPORT_ERROR
        if kind == 'invoke':
            return 200, payload_of(load(CONFIG['function']['handler'])(body, context))
        hook = CONFIG.get(kind)
        if hook:
            load(hook)(context)
        return 200, b''
    except SystemExit as exit_:
        # A handler that exits ends the instance, as it ends FC's runtime process.
        sys.stdout.flush()
        os._exit(exit_.code if isinstance(exit_.code, int) else 1)
    except Exception as exc:  # noqa: BLE001 - any exception of the user's code is the invocation's error
        body = error_body(exc)
        logging.getLogger().error('%s: %s', body['errorType'], body['errorMessage'])
        return 404, json.dumps(body).encode('utf-8')
    finally:
        Invocation.request_id = ''


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    # Headers and body go out as two writes: without this, Nagle's algorithm holds the body for the client's ACK.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def answer(self, status, payload, failed=False):
        self.send_response(status)
        self.send_header('content-length', str(len(payload)))
        if failed:
            self.send_header('x-fc-status', '404')
            if IMPORT_ERROR is not None:
                # Tells the local cloud the module's import failed, not a handler's run: its log says "at load".
                self.send_header('x-local-at-load', '1')
        self.end_headers()
        self.wfile.write(payload)

    def serve(self, kind):
        length = int(self.headers.get('content-length') or 0)
        body = self.rfile.read(length) if length > 0 else b''
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, payload = run(kind, body, headers)
        self.answer(status, payload, failed=status != 200)

    def do_POST(self):  # noqa: N802 - http.server's name
        if self.path == '/invoke':
            self.serve('invoke')
        elif self.path == '/initialize':
            self.serve('initializer')
        else:
            self.answer(404, b'')

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == '/pre-stop':
            self.serve('preStop')
        else:
            self.answer(404, b'')


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False


def exit_when_orphaned(parent):
    """A local cloud killed with SIGKILL cannot stop its instances: once this process is handed to another parent,
    the one that started it is gone, and so is every reason to keep serving (and holding a port)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=exit_when_orphaned, args=(os.getppid(),), daemon=True, name='orphan-watch').start()
Server(('127.0.0.1', int(os.environ['FC_SERVER_PORT'])), Handler).serve_forever()
