import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiFailure, api } from '../api.ts';

/** Passwordless sign-in: an address, then the 6-digit code mailed to it (the mail's link signs in too). */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }): JSX.Element {
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const [sent, setSent] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await work();
    } catch (error) {
      setProblem(error instanceof ApiFailure ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };
  const sendCode = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await api('/v1/auth/send-code', { method: 'POST', body: { email } });
      setSent(true);
    });
  };
  const verify = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await api('/v1/auth/verify', { method: 'POST', body: { email, code } });
      onSignedIn();
    });
  };

  return (
    <main class="sign-in">
      <h1>Sign in to Strix</h1>
      {!sent ? (
        <form onSubmit={sendCode}>
          <label>
            Email
            <input type="email" name="email" autoComplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy}>Email me a code</button>
        </form>
      ) : (
        <form onSubmit={verify}>
          <p>If {email} may sign in, a code and a link are on their way (valid 10 minutes).</p>
          <label>
            Code
            <input name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required value={code} onInput={(e) => setCode(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy}>Sign in</button>
          <button type="button" class="link" onClick={() => { setSent(false); setCode(''); }}>Use another address</button>
        </form>
      )}
      {problem && <p role="alert" class="problem">{problem}</p>}
    </main>
  );
}
