/**
 * Length limits checked before sending, in UTF-16 code units (JavaScript `length`, which is how
 * Entra, a .NET service, counts). These are Entra's documented/observed limits for device
 * properties; a longer value would be rejected by Graph with 400, so it is reported as invalid instead.
 */
export const MAX_LENGTH: Readonly<Record<string, number>> = {
  displayName: 256,
  operatingSystem: 256,
  operatingSystemVersion: 256,
  ...Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`extensionAttribute${i + 1}`, 1024])),
};
