import { ApiError, signIn } from '../api';
import { esc, setMain } from '../dom';

export function renderSignIn(onDone: () => void): void {
  const main = setMain(`<section class="auth-card">
    <h1>Sign in</h1>
    <p class="muted">Demo users: <code>alice</code> / <code>alice-demo</code>, or <code>admin</code> / <code>admin-demo</code>.</p>
    <form id="sign-in" novalidate>
      <label>Username <input name="username" autocomplete="username" required /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
      <p class="error" role="alert" hidden></p>
      <button class="primary" type="submit">Sign in</button>
    </form>
  </section>`);
  const form = main.querySelector<HTMLFormElement>('#sign-in')!;
  const error = main.querySelector<HTMLElement>('.error')!;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    error.hidden = true;
    signIn(String(data.get('username') ?? ''), String(data.get('password') ?? ''))
      .then(onDone)
      .catch((err: unknown) => {
        error.hidden = false;
        error.innerHTML = esc(err instanceof ApiError ? (err.details?.map((d) => `${d.path}: ${d.message}`).join('; ') ?? err.message) : 'Sign-in failed');
      });
  });
}
