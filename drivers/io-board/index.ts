export * from './io-board.js';
export { JohnnyFiveBoard, type JohnnyFiveBoardOptions, type RelayConfig, type InputConfig } from './johnny-five-board.js';
export { FirmataSimulator, type FirmataSimulatorOptions, type SimFrame, type SimPin } from './sim/firmata-simulator.js';
export { FIRMATA, SYSEX, PIN_MODE } from './firmata-constants.js';
