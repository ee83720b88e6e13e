/**
 * Bytes across the contract: files are sent to the core and read back a
 * slice at a time as base64 (the web shell has only File objects and a
 * WebSocket; the desktop shell the same IPC).
 */

/** Base64 of a Blob (FileReader's data: URL, without its prefix: no byte-by-byte loop in script). */
export function blobToBase64(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('could not read the file'));
    reader.readAsDataURL(blob);
  });
}

export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
