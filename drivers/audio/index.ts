export { AudioError, type AudioErrorCode } from './errors.js';
export { SIREN_CATALOGUE, SirenPatternSchema, SirenSegmentSchema, patternDurationMs, type SirenName, type SirenPattern, type SirenSegment } from './siren-pattern.js';
export { CIVIL_DEFENCE_SIGNALS, CIVIL_DEFENCE_TOLERANCE, audibleRuns, checkNotCivilDefence, type CivilDefenceCheck, type CivilDefenceSignalId } from './civil-defence.js';
export { renderSiren, validateSirenPattern, type RenderOptions, type RenderedAudio } from './siren.js';
export { DEFAULT_RATE, DEFAULT_VOICE, listVoices, parseVoiceList, renderSpeech, speechCacheKey, type SpeechOptions, type SpokenAudio } from './speech.js';
export { buildProgramme, type ProgrammeOptions } from './programme.js';
export { parseSink, playWav, type AudioSink, type PlayOptions, type PlayOutcome, type PlayResult } from './player.js';
export { AUDIO_FORMAT, parseWavHeader, readWavInfo, type WavInfo } from './wav-format.js';
