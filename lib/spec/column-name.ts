/**
 * The form column names are matched in: Unicode NFC, so a header written in NFD ("cafe\u0301") is the spec's NFC
 * "café". The spec's duplicate check and the dataset readers both use it, so they agree on what "the same name" is.
 */
export const normalizeName = (name: string): string => name.normalize('NFC');
