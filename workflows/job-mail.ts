import type { JobRun, MailMessage } from '@strix/contracts';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The notice mailed to whoever triggered a run with `notify: true`, when it ends. */
export function jobEndMail(run: JobRun, options: { to: string; from: string; publicUrl: string }): MailMessage {
  const subject = `Strix job ${run.job} ${run.status}`;
  const lines = [
    `The ${run.job} run you started${run.project_id ? ` in project ${run.project_id}` : ''} ended: ${run.status}.`,
    `Run: ${run.id}`,
    ...(run.error ? [`Error: ${run.error}`] : []),
    ...(run.summary ? [`Summary: ${JSON.stringify(run.summary)}`] : []),
    `Details: ${options.publicUrl.replace(/\/+$/, '')}/v1/jobs/${encodeURIComponent(run.id)}`,
  ];
  return {
    from: options.from,
    to: options.to,
    subject,
    text: `${lines.join('\n')}\n`,
    html: `<p>${lines.map(escapeHtml).join('<br>')}</p>`,
    messageId: `<job-run-${run.id.replace(/[^A-Za-z0-9._-]/g, '-')}@strix>`,
  };
}
