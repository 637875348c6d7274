// Normalisation of contact data, so "what HK has registered" and "what the person typed" compare exactly.

/** E-mail trimmed and case-folded; undefined when it is not a plausible address. */
export function normalizeEmail(raw: string): string | undefined {
  const email = raw.normalize('NFKC').trim().toLowerCase();
  if (email.length > 254) return undefined;
  // One @, no whitespace, control or header-breaking characters, a dot in the domain.
  if (!/^[^\s@<>()[\]\\,;:"\p{Cc}]+@[^\s@<>()[\]\\,;:"\p{Cc}]+\.[^\s@<>()[\]\\,;:"\p{Cc}]+$/u.test(email)) return undefined;
  return email;
}

/** Mobile number to E.164. Spaces, dashes, dots and brackets are ignored; a bare 8-digit number is Norwegian (+47). */
export function normalizeMobile(raw: string): string | undefined {
  const compact = raw.trim().replace(/[\s\-.()]/g, '');
  if (/^\d{8}$/.test(compact)) return `+47${compact}`;
  const international = compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
  if (/^\+[1-9]\d{6,14}$/.test(international)) return international;
  return undefined;
}
