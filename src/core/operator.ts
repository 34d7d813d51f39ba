/**
 * Who sent a control command (`shift resume`, an answer at a gate's prompt), as the journal names an approval:
 * `user@host (how)`. The account name and host only: nothing secret, and nothing the operator typed.
 */
import { hostname, userInfo } from 'node:os';

export function operatorName(how: string): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // A container user without a passwd entry: the environment, else the uid.
    user = process.env.USER ?? process.env.LOGNAME ?? `uid ${process.getuid?.() ?? '?'}`;
  }
  return `${user}@${hostname()} (${how})`;
}
