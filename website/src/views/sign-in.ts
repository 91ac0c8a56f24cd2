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
      <p class="error" role="alert" tabindex="-1" data-testid="sign-in-error" hidden></p>
      <button class="primary" type="submit">Sign in</button>
    </form>
  </section>`);
  const form = main.querySelector<HTMLFormElement>('#sign-in')!;
  const error = main.querySelector<HTMLElement>('.error')!;
  const button = form.querySelector<HTMLButtonElement>('button')!;
  const usernameField = main.querySelector<HTMLInputElement>('#username')!;
  const passwordField = main.querySelector<HTMLInputElement>('#password')!;
  usernameField.focus();
  // Where the keyboard goes after a refusal: into the field at fault (a wrong password is typed again, so its text
  // is selected), else onto the words that say what happened. The pressed button was disabled, which drops focus.
  const refuse = (text: string, field?: HTMLInputElement) => {
    error.hidden = false;
    error.innerHTML = esc(text);
    if (field) {
      field.focus();
      field.select();
    } else {
      error.focus();
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const username = String(data.get('username') ?? '').trim();
    const password = String(data.get('password') ?? '');
    error.hidden = true;
    if (!username) return refuse('Enter your username.', usernameField);
    if (!password) return refuse('Enter your password.', passwordField);
    button.disabled = true;
    button.textContent = 'Signing in…';
    signIn(username, password)
      .then(onDone)
      .catch((err: unknown) => {
        button.disabled = false;
        button.textContent = 'Sign in';
        if (err instanceof ApiError && err.status === 401) refuse('Wrong username or password.', passwordField);
        else if (err instanceof ApiError && err.status === 429) refuse('Too many attempts. Wait a few minutes and try again.');
        else refuse(`Sign-in failed: ${err instanceof Error ? err.message : 'unknown error'}.`);
      });
  });
}
