// The mails the people routes send: a sign-in code with its link, an invitation.
import { randomUUID } from 'node:crypto';
import type { MailMessage, Mailer, Role } from '@strix/contracts';

/** How the API sends mail; without it, sign-in by code is off and invitations are only links to hand over. */
export interface PeopleMail {
  mailer: Mailer;
  from: string;
  /** The address people reach Strix at, for the links in mails. */
  publicUrl: string;
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => htmlEscapes[c] ?? c);

// Every message is new: a re-sent code is a different code, not a duplicate to fold.
const messageId = () => `<${randomUUID()}@strix>`;

export function signInMail(from: string, to: string, code: string, link: string, minutes: number): MailMessage {
  const text = [
    `Your Strix sign-in code is ${code}`,
    '',
    `Or open this link to sign in: ${link}`,
    '',
    `The code and the link work once, for ${minutes} minutes. If you did not ask to sign in, ignore this mail.`,
  ].join('\n');
  const html = `<p>Your Strix sign-in code is <strong style="font-size:1.4em;letter-spacing:0.1em">${escapeHtml(code)}</strong></p>
<p><a href="${escapeHtml(link)}">Sign in to Strix</a></p>
<p style="color:#666">The code and the link work once, for ${minutes} minutes. If you did not ask to sign in, ignore this mail.</p>`;
  return { from, to, subject: `Strix sign-in code: ${code}`, text, html, messageId: messageId() };
}

export function invitationMail(
  from: string,
  invite: { to: string; teamName: string; role: Role; invitedBy: string; link: string; expiresAt: string },
): MailMessage {
  const text = [
    `${invite.invitedBy} invited you to join the team "${invite.teamName}" on Strix as ${invite.role === 'member' ? 'a' : 'an'} ${invite.role}.`,
    '',
    `Invitation: ${invite.link}`,
    `Sign in as ${invite.to}, then accept it with POST ${invite.link}/accept. It works until ${invite.expiresAt}.`,
  ].join('\n');
  const html = `<p>${escapeHtml(invite.invitedBy)} invited you to join the team <strong>${escapeHtml(invite.teamName)}</strong> on Strix as ${escapeHtml(invite.role)}.</p>
<p><a href="${escapeHtml(invite.link)}">Open the invitation</a>. Sign in as ${escapeHtml(invite.to)} to accept it; it works until ${escapeHtml(invite.expiresAt)}.</p>`;
  return { from, to: invite.to, subject: `${invite.invitedBy} invited you to ${invite.teamName} on Strix`, text, html, messageId: messageId() };
}
