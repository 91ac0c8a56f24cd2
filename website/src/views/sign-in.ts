import { ApiError, signIn } from '../api';
import { esc, setMain } from '../dom';

/** Sign-in form. Errors are shown inline and announced (role="alert"); the form stays filled in. */
export function renderSignIn(onDone: () => void): void {
  const main = setMain(`<section class="auth-card">
    <h1>Sign in</h1>
    <p class="muted">Demo users: <code>alice</code> / <code>alice-demo</code>, or <code>admin</code> / <code>admin-demo</code>.</p>
    <form id="sign-in" novalidate>
      <label for="username">Username</label>
      <input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required />
      <p class="error" role="alert" data-testid="sign-in-error" hidden></p>
      <button class="primary" type="submit">Sign in</button>
    </form>
  </section>`);
  const form = main.querySelector<HTMLFormElement>('#sign-in')!;
  const error = main.querySelector<HTMLElement>('.error')!;
  const button = form.querySelector<HTMLButtonElement>('button')!;
  main.querySelector<HTMLInputElement>('#username')!.focus();
  const show = (text: string) => {
    error.hidden = false;
    error.innerHTML = esc(text);
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const username = String(data.get('username') ?? '').trim();
    const password = String(data.get('password') ?? '');
    error.hidden = true;
    if (!username || !password) return show(!username ? 'Enter your username.' : 'Enter your password.');
    button.disabled = true;
    signIn(username, password)
      .then(onDone)
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) show('Wrong username or password.');
        else if (err instanceof ApiError && err.status === 429) show('Too many attempts. Wait a few minutes and try again.');
        else show(`Sign-in failed: ${err instanceof Error ? err.message : 'unknown error'}.`);
      })
      .finally(() => (button.disabled = false));
  });
}
