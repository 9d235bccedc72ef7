/** Why one snapshot failed. Pure. */
export const CAMERA_ERROR_CODES = [
  /** No picture within the hard timeout: the camera accepted and never sent, or sent too slowly. */
  'timeout',
  /** Nothing listens there (ECONNREFUSED), or the host is unreachable or unknown. */
  'refused',
  /** The answer is not a picture: wrong magic bytes, or bytes no decoder could read. */
  'not-image',
  /** The HTTP snapshot answered with a status other than 200. */
  'http-status',
  /** The HTTP snapshot is larger than the cap. */
  'too-large',
  /** ffmpeg exited with an error for another reason (its stderr tail is in `stderrTail`). */
  'ffmpeg-failed',
  /** ffmpeg is not installed. */
  'tool-missing',
  /** A bad argument (a relative path, a URL of the wrong scheme). */
  'invalid-input',
] as const;
export type CameraErrorCode = (typeof CAMERA_ERROR_CODES)[number];

export class CameraError extends Error {
  override readonly name = 'CameraError';
  constructor(
    readonly code: CameraErrorCode,
    message: string,
    /** The last lines ffmpeg wrote on stderr, when ffmpeg was run. */
    readonly stderrTail?: string,
  ) {
    super(message);
  }
}

/**
 * What an ffmpeg failure means, from its stderr: a refused or unreachable camera, input that is not a picture, or
 * anything else. ffmpeg says "Connection refused" for RTSP and HTTP alike; "Invalid data found when processing input"
 * and a decoder that found no frame are garbage.
 */
export function classifyFfmpegFailure(stderr: string): Extract<CameraErrorCode, 'refused' | 'not-image' | 'ffmpeg-failed'> {
  if (/connection refused|no route to host|network is unreachable|name or service not known|failed to resolve/i.test(stderr)) return 'refused';
  if (/invalid data found|could not find codec parameters|does not contain any stream|output file #?\d* does not contain|nothing was written|no frame|invalid jpeg|unsupported|error while decoding|not an? (image|jpeg)|end of file/i.test(stderr)) {
    return 'not-image';
  }
  return 'ffmpeg-failed';
}

/** Pure: the last `lines` non-empty lines of stderr, at most 500 characters. */
export function stderrTail(stderr: string, lines = 4): string {
  const all = stderr.split(/\r?\n|\r/).map((l) => l.trim()).filter((l) => l.length > 0);
  return all.slice(-lines).join('\n').slice(-500);
}
