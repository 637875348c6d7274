// What the command line prints. Values come from files, the database and HTTP requests (names from a
// CSV, a User-Agent in the audit log), so each is shown escaped and cut: a crafted value can neither
// forge a line of the report nor send the terminal an escape sequence. The report is written whole
// before the process exits, even through a slow pipe.

/** The longest value echoed, in characters; a longer one is cut and says how much was left out. */
export const ECHO_LIMIT = 200;
/** The longest message that quotes values (an error, an import line's reasons), whole otherwise. */
export const MESSAGE_LIMIT = 1000;

// C0 and C1 controls, DEL, and the Unicode characters that move or reorder text (line and paragraph
// separators, bidirectional overrides and isolates: "Trojan Source").
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

function escapeChar(c: string): string {
  const code = c.codePointAt(0)!;
  return NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** Every unprintable character as a visible escape (`\n`, `\e`, `\x07`, `\u202e`). */
export const escapeControls = (text: string) => text.replace(UNPRINTABLE, escapeChar);

/** A value as it may be echoed: one line, nothing unprintable, at most `limit` characters of it. */
export function printable(value: string, limit = ECHO_LIMIT): string {
  const chars = [...value];
  if (chars.length <= limit) return escapeControls(value);
  return `${escapeControls(chars.slice(0, limit).join(''))}… (${chars.length - limit} more characters)`;
}

/**
 * Lines to a stream. Whatever a command prints, each line leaves without a control character (line
 * breaks inside one message stay); echoed values should still go through `printable`, so they cannot
 * break a line either.
 */
export const lineWriter = (stream: NodeJS.WritableStream) => (text: string) => {
  stream.write(`${text.split('\n').map(escapeControls).join('\n')}\n`);
};

/**
 * Resolves when everything written so far has left the process. `process.exit` does not wait for a
 * pipe to take what is queued (stdout to a pipe is asynchronous), so without this a slow reader
 * loses the end of the report.
 */
export function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.write('', () => resolve());
  });
}
