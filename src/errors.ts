// Errors that carry their own meaning; one handler turns each into the page or message the caller sees.

/** Bad input from an operator or a form: a clear message, nothing changed. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
