/** Any failure of the Noise engine: bad message, failed authentication, misuse. */
export class NoiseError extends Error {
  override readonly name = 'NoiseError';
}
