/** Invalid configuration files, each with the key path and words an installer must be shown. */
export interface BadConfig {
  readonly name: string;
  readonly yaml: string;
  /** Exact key path of the problem ('' for the file as a whole). */
  readonly path: string;
  readonly says: string;
  /** 1-based line the problem must point at, when the file has that line. */
  readonly line?: number;
}

const BUS = `buses:
  - id: rtu1
    type: rtu
    path: /dev/ttyUSB0
`;
const SENSOR = `sensors:
  - id: s1
    bus: rtu1
    slave: 1
    profile: submersible-level
`;

export const GOOD_MINIMAL = BUS + SENSOR;

export const BAD_CONFIGS: readonly BadConfig[] = [
  {
    name: 'wrong type (quoted text for a number)',
    yaml: BUS + SENSOR.replace('slave: 1', 'slave: one'),
    path: 'sensors[0].slave',
    says: '"one" is text; expected a number',
    line: 8,
  },
  {
    name: 'number written in quotes',
    yaml: BUS + SENSOR.replace('slave: 1', 'slave: "1"'),
    path: 'sensors[0].slave',
    says: 'write it without quotes',
  },
  {
    name: 'unknown key that is a typo (baudrate)',
    yaml: BUS + '    baudrate: 9600\n' + SENSOR,
    path: 'buses[0].baudrate',
    says: 'unknown key "baudrate"; did you mean "baudRate"?',
    line: 5,
  },
  {
    name: 'unknown sensor key (critcal)',
    yaml: GOOD_MINIMAL + '    critcal: true\n',
    path: 'sensors[0].critcal',
    says: 'did you mean "critical"?',
    line: 10,
  },
  {
    name: 'unknown top-level key',
    yaml: BUS + SENSOR.replace('sensors:', 'sensor:'),
    path: 'sensor',
    says: 'did you mean "sensors"?',
    line: 5,
  },
  {
    name: 'duplicate sensor id',
    yaml: GOOD_MINIMAL + '  - id: s1\n    bus: rtu1\n    slave: 2\n    profile: sl651-level\n',
    path: 'sensors[1].id',
    says: '"s1" is already the id of sensors[0]',
    line: 10,
  },
  {
    name: 'duplicate bus id',
    yaml: BUS + '  - id: rtu1\n    type: tcp\n    host: 10.0.0.2\n' + SENSOR,
    path: 'buses[1].id',
    says: '"rtu1" is already the id of buses[0]',
    line: 5,
  },
  {
    name: 'unknown profile',
    yaml: BUS + SENSOR.replace('submersible-level', 'radar-level'),
    path: 'sensors[0].profile',
    says: '"radar-level" is not a known profile; did you mean "radar-level-float32"?',
    line: 9,
  },
  {
    name: 'unknown bus',
    yaml: BUS + SENSOR.replace('bus: rtu1', 'bus: rtu2'),
    path: 'sensors[0].bus',
    says: '"rtu2" is not the id of any bus',
    line: 7,
  },
  {
    name: 'port out of range',
    yaml: BUS + '  - id: tcp1\n    type: tcp\n    host: 10.0.0.2\n    port: 70000\n' + SENSOR,
    path: 'buses[1].port',
    says: '70000 is too large; expected at most 65535',
    line: 8,
  },
  {
    name: 'baud rate not in the list',
    yaml: BUS + '    baudRate: 9601\n' + SENSOR,
    path: 'buses[0].baudRate',
    says: '9601 is not allowed; expected one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200',
    line: 5,
  },
  {
    name: 'bad parity',
    yaml: BUS + '    parity: EVEN\n' + SENSOR,
    path: 'buses[0].parity',
    says: '"EVEN" is not allowed; expected one of none, even, odd; did you mean even?',
    line: 5,
  },
  {
    name: 'bad listen address',
    yaml: 'http:\n  listen: localhost\n' + GOOD_MINIMAL,
    path: 'http.listen',
    says: 'the port is missing; expected HOST:PORT',
    line: 2,
  },
  {
    name: 'listen port out of range',
    yaml: 'http:\n  listen: 0.0.0.0:99999\n' + GOOD_MINIMAL,
    path: 'http.listen',
    says: 'port 99999 is out of range',
    line: 2,
  },
  {
    name: 'YAML syntax error',
    yaml: BUS + '    parity: [none\n' + SENSOR,
    path: 'buses[0].parity',
    says: 'YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
    line: 6,
  },
  {
    name: 'duplicate YAML key',
    yaml: BUS + '    path: /dev/ttyUSB1\n' + SENSOR,
    path: 'buses[0].path',
    says: 'Map keys must be unique',
    line: 5,
  },
  {
    name: 'two YAML documents',
    yaml: GOOD_MINIMAL + '---\n' + GOOD_MINIMAL,
    path: '',
    says: 'more than one YAML document',
    line: 10,
  },
  {
    name: 'empty file',
    yaml: '',
    path: '',
    says: 'the file is empty',
  },
  {
    name: 'file of comments only',
    yaml: '# nothing here yet\n',
    path: '',
    says: 'the file is empty',
  },
  {
    name: 'top level is a list',
    yaml: '- id: rtu1\n',
    path: '',
    says: 'the top level must be a mapping',
    line: 1,
  },
  {
    name: 'missing required key',
    yaml: 'buses:\n  - id: rtu1\n    type: rtu\n' + SENSOR,
    path: 'buses[0].path',
    says: 'is missing; expected text',
  },
  {
    name: 'empty value',
    yaml: BUS + SENSOR.replace('slave: 1', 'slave:'),
    path: 'sensors[0].slave',
    says: 'is empty; expected a number',
    line: 8,
  },
  {
    name: 'unknown bus type',
    yaml: BUS.replace('type: rtu', 'type: serial') + SENSOR,
    path: 'buses[0].type',
    says: '"serial" is not allowed; expected one of rtu, tcp',
    line: 3,
  },
  {
    name: 'RTU setting on a TCP bus',
    yaml: BUS + '  - id: tcp1\n    type: tcp\n    host: 10.0.0.2\n    parity: even\n' + SENSOR + '  - id: s2\n    bus: tcp1\n    slave: 1\n    profile: sl651-level\n',
    path: 'buses[1].parity',
    says: '"parity" belongs to entries with type: rtu, and this one has type: tcp',
    line: 8,
  },
  {
    name: 'inline profile with a bad data type',
    yaml:
      BUS +
      SENSOR.replace(
        'profile: submersible-level',
        'profile:\n      functionCode: 3\n      addressBase: 0\n      value: { address: 1, type: float }\n      range: { min: 0, max: 9 }',
      ),
    path: 'sensors[0].profile.value.type',
    says: '"float" is not allowed; expected one of int16, uint16, int32, uint32, float32; did you mean float32?',
    line: 12,
  },
  {
    name: 'custom profile shadowing a catalogue name',
    yaml: GOOD_MINIMAL + 'profiles:\n  sl651-level:\n    functionCode: 3\n    addressBase: 0\n    value: { address: 0, type: uint16 }\n    range: { min: 0, max: 9 }\n',
    path: 'profiles.sl651-level',
    says: 'is the name of a built-in catalogue profile',
    line: 11,
  },
  {
    name: 'two RTU buses on one serial port',
    yaml: BUS + '  - id: rtu2\n    type: rtu\n    path: /dev/ttyUSB0\n' + SENSOR + '  - id: s2\n    bus: rtu2\n    slave: 1\n    profile: sl651-level\n',
    path: 'buses[1].path',
    says: 'buses[0] already uses this serial port',
    line: 7,
  },
  {
    name: 'two sensors on the same device and profile',
    yaml: GOOD_MINIMAL + '  - id: s2\n    bus: rtu1\n    slave: 1\n    profile: submersible-level\n',
    path: 'sensors[1].slave',
    says: 'sensors[0] already reads slave 1 on bus "rtu1" with the same profile',
    line: 12,
  },
  {
    name: 'slave 0 on an RTU bus',
    yaml: BUS + SENSOR.replace('slave: 1', 'slave: 0'),
    path: 'sensors[0].slave',
    says: '0 is the broadcast address on an RTU bus',
    line: 8,
  },
  {
    name: 'bad id',
    yaml: BUS + SENSOR.replace('id: s1', 'id: Dam Level'),
    path: 'sensors[0].id',
    says: '"Dam Level" is not valid: ids are 1-64 characters',
    line: 6,
  },
];

const SITE = `alarms:
  sites:
    - id: qingshui
      sensors: [s1]
      prepare: { levelM: 3 }
      evacuate: { levelM: 4 }
`;
const IO_BOARD = `outputs:
  ioBoard:
    path: /dev/ttyACM0
    relays: { amplifier: 8, siren: 9, strobe: 10 }
`;

/** Alarm rules, dispatch plans and outputs that refer to things that are not there (issue 4's table). */
export const BAD_ALARM_CONFIGS: readonly BadConfig[] = [
  {
    name: 'alarm rule naming an unknown sensor',
    yaml: GOOD_MINIMAL + SITE.replace('sensors: [s1]', 'sensors: [s2]'),
    path: 'alarms.sites[0].sensors[0]',
    says: '"s2" is not a known sensor (sensors[].id); did you mean "s1"?',
  },
  {
    name: 'relay pin used twice',
    yaml: GOOD_MINIMAL + IO_BOARD.replace('strobe: 10', 'strobe: 9'),
    path: 'outputs.ioBoard.relays.strobe',
    says: 'pin 9 is already used by outputs.ioBoard.relays.siren',
  },
  {
    name: 'input on a relay pin',
    yaml: GOOD_MINIMAL + IO_BOARD + '    inputs:\n      button: { pin: 8, role: manual_alarm }\n',
    path: 'outputs.ioBoard.inputs.button.pin',
    says: 'pin 8 is already used by outputs.ioBoard.relays.amplifier',
    line: 15,
  },
  {
    name: 'unknown voice',
    yaml: GOOD_MINIMAL + '  speakers:\n    - id: village\n      device: default\n      voice: cmm\n'.replace(/^/, 'outputs:\n'),
    path: 'outputs.speakers[0].voice',
    says: '"cmm" is not an espeak-ng voice on this box; did you mean "cmn"?',
    line: 14,
  },
  {
    name: 'dispatch plan naming a relay the board does not have',
    yaml: GOOD_MINIMAL + IO_BOARD.replace(', strobe: 10', '') + 'dispatch:\n  evacuate:\n    relays: [amplifier, sirne]\n    message: 立即转移\n    ledText: 立即转移\n',
    path: 'dispatch.evacuate.relays[1]',
    says: '"sirne" is not a known relay (outputs.ioBoard.relays); did you mean "siren"?',
  },
  {
    name: 'default dispatch plan naming a relay the board does not have',
    yaml: GOOD_MINIMAL + IO_BOARD.replace(', strobe: 10', ''),
    path: 'outputs.ioBoard.relays',
    says: 'the default prepare plan switches relay "strobe", which outputs.ioBoard.relays does not define (it has: amplifier, siren)',
  },
  {
    name: 'unknown siren pattern',
    yaml: GOOD_MINIMAL + 'dispatch:\n  prepare:\n    sirenPattern: air-raid\n    message: 准备转移\n    ledText: 准备转移\n',
    path: 'dispatch.prepare.sirenPattern',
    says: '"air-raid" is not a known siren pattern',
    line: 12,
  },
  {
    name: 'unknown placeholder in a message template',
    yaml: GOOD_MINIMAL + 'dispatch:\n  prepare:\n    message: "{site}水位{levle}"\n    ledText: 准备转移\n',
    path: 'dispatch.prepare.message',
    says: 'unknown placeholder {levle}',
  },
  {
    name: 'LED board on the RS-485 port of a Modbus bus',
    yaml: GOOD_MINIMAL + 'outputs:\n  ledBoards:\n    - { id: led-1, path: /dev/ttyUSB0, baudRate: 9600 }\n',
    path: 'outputs.ledBoards[0].path',
    says: '/dev/ttyUSB0 is already used by buses[0].path',
  },
  {
    name: 'evacuate threshold below prepare',
    yaml: GOOD_MINIMAL + SITE.replace('levelM: 4', 'levelM: 2'),
    path: 'alarms.sites[0].evacuate.levelM',
    says: 'evacuate.levelM must be above prepare.levelM',
  },
  {
    name: 'sync.feedTokens naming a token that does not exist',
    yaml: BUS + SENSOR + `http:
  apiTokens:
    - { id: county-hub, role: viewer, sha256: "${'a'.repeat(64)}" }
sync:
  feedTokens: [county-hbu]
`,
    path: 'sync.feedTokens[0]',
    says: '"county-hbu" is not the id of any http.apiTokens entry; did you mean "county-hub"?',
  },
  {
    name: 'backup schedule croner cannot read',
    yaml: GOOD_MINIMAL + 'backup:\n  schedule: "61 3 * * *"\n  to: [/media/usb/fenghuo]\n',
    path: 'backup.schedule',
    says: 'not a cron expression croner reads: Invalid value for minute: 61',
    line: 11,
  },
  {
    name: 'backup target that is not an absolute folder',
    yaml: GOOD_MINIMAL + 'backup:\n  schedule: "30 3 * * *"\n  keep: 3\n  to: [hub, media/usb]\n',
    path: 'backup.to[1]',
    says: 'an absolute folder path such as /media/usb/fenghuo, or "hub"',
  },
];

/** A site profile whose test vector does not decode as stated (1234 cm is 12.34 m, not 1.234). */
export const BAD_TEST_VECTOR: BadConfig = {
  name: 'custom profile failing its test vector',
  yaml:
    GOOD_MINIMAL.replace('submersible-level', 'my-gauge') +
    'profiles:\n  my-gauge:\n    functionCode: 3\n    addressBase: 0\n    value: { address: 0, type: uint16, unit: cm }\n    range: { min: 0, max: 50 }\n    testVectors:\n      - { registers: [1234], expected: 1.234 }\n',
  path: 'profiles.my-gauge.testVectors[0]',
  says: 'should decode to 1.234 (good) but gave 12.34',
  line: 17,
};
