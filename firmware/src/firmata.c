#include "firmata.h"
#include "fenghuo.h"
#include "pins.h"
#include "uart.h"

#define DIGITAL_MESSAGE 0x90
#define ANALOG_MESSAGE 0xE0
#define REPORT_ANALOG 0xC0
#define REPORT_DIGITAL 0xD0
#define SET_PIN_MODE 0xF4
#define SET_DIGITAL_PIN_VALUE 0xF5
#define REPORT_VERSION 0xF9
#define SYSTEM_RESET 0xFF
#define START_SYSEX 0xF0
#define END_SYSEX 0xF7

#define ANALOG_MAPPING_QUERY 0x69
#define ANALOG_MAPPING_RESPONSE 0x6A
#define CAPABILITY_QUERY 0x6B
#define CAPABILITY_RESPONSE 0x6C
#define PIN_STATE_QUERY 0x6D
#define PIN_STATE_RESPONSE 0x6E
#define REPORT_FIRMWARE 0x79
#define SAMPLING_INTERVAL 0x7A

#define NUM_PORTS ((NUM_PINS + 7) / 8)
#define SYSEX_MAX 32

static uint8_t cmd;      /* pending channel/system command, 0 = none */
static uint8_t need;     /* data bytes it still needs */
static uint8_t args[2];
static uint8_t nargs;
static uint8_t in_sysex;
static uint8_t sysex[SYSEX_MAX];
static uint8_t sysex_len; /* > SYSEX_MAX means overflowed: dropped */

static uint8_t report_ports;          /* bit n: port n reports */
static uint8_t last_reported[NUM_PORTS];
static uint16_t sampling_interval_ms = 19; /* stored only: digital inputs are scanned every millisecond */

void firmata_send_version(void) {
  uart_put(REPORT_VERSION);
  uart_put(2);
  uart_put(5);
}

void firmata_send_firmware(void) {
  static const char name[] = FIRMWARE_NAME;
  uart_put(START_SYSEX);
  uart_put(REPORT_FIRMWARE);
  uart_put(FIRMWARE_MAJOR);
  uart_put(FIRMWARE_MINOR);
  for (uint8_t i = 0; name[i]; i++) {
    uart_put((uint8_t)name[i] & 0x7F);
    uart_put((uint8_t)name[i] >> 7);
  }
  uart_put(END_SYSEX);
}

void firmata_send_sysex(uint8_t command, const uint8_t *data, uint8_t len) {
  uart_put(START_SYSEX);
  uart_put(command);
  for (uint8_t i = 0; i < len; i++) uart_put(data[i] & 0x7F);
  uart_put(END_SYSEX);
}

static uint8_t read_port(uint8_t port) {
  uint8_t v = 0;
  for (uint8_t i = 0; i < 8; i++) {
    uint8_t pin = (uint8_t)(port * 8 + i);
    if (!pin_is_digital(pin)) continue;
    uint8_t mode = pin_mode(pin);
    if ((mode == MODE_INPUT || mode == MODE_PULLUP) && pin_read(pin)) v |= (uint8_t)(1u << i);
  }
  return v;
}

static void send_port(uint8_t port, uint8_t v) {
  uart_put(DIGITAL_MESSAGE | port);
  uart_put(v & 0x7F);
  uart_put(v >> 7);
  last_reported[port] = v;
}

void firmata_scan_inputs(void) {
  for (uint8_t port = 0; port < NUM_PORTS; port++) {
    if (!(report_ports & (1u << port))) continue;
    uint8_t v = read_port(port);
    if (v != last_reported[port]) send_port(port, v);
  }
}

void firmata_reset_reporting(void) { report_ports = 0; }

static void capability_response(void) {
  uart_put(START_SYSEX);
  uart_put(CAPABILITY_RESPONSE);
  for (uint8_t pin = 0; pin < NUM_PINS; pin++) {
    if (pin_is_digital(pin)) {
      static const uint8_t caps[] = {MODE_INPUT, 1, MODE_OUTPUT, 1, MODE_PULLUP, 1};
      for (uint8_t i = 0; i < sizeof caps; i++) uart_put(caps[i]);
    }
    uart_put(0x7F);
  }
  uart_put(END_SYSEX);
}

static void analog_mapping_response(void) {
  uart_put(START_SYSEX);
  uart_put(ANALOG_MAPPING_RESPONSE);
  for (uint8_t pin = 0; pin < NUM_PINS; pin++) uart_put(0x7F); /* no analog channels offered */
  uart_put(END_SYSEX);
}

static void pin_state_response(uint8_t pin) {
  if (pin >= NUM_PINS) return; /* as StandardFirmata: no answer for a pin that does not exist */
  uint8_t d[3] = {pin, pin_mode(pin), pin_latch(pin)};
  firmata_send_sysex(PIN_STATE_RESPONSE, d, 3);
}

static void handle_sysex(void) {
  if (sysex_len == 0 || sysex_len > SYSEX_MAX) return;
  const uint8_t *d = sysex + 1;
  uint8_t n = (uint8_t)(sysex_len - 1);
  switch (sysex[0]) {
    case REPORT_FIRMWARE:
      firmata_send_firmware();
      break;
    case CAPABILITY_QUERY:
      capability_response();
      break;
    case ANALOG_MAPPING_QUERY:
      analog_mapping_response();
      break;
    case PIN_STATE_QUERY:
      if (n >= 1) pin_state_response(d[0]);
      break;
    case SAMPLING_INTERVAL:
      if (n >= 2) sampling_interval_ms = (uint16_t)(d[0] | (d[1] << 7));
      break;
    default:
      fh_handle_sysex(sysex[0], d, n);
      break;
  }
}

static void set_pin_mode(uint8_t pin, uint8_t mode) {
  if (!pin_is_digital(pin)) return;
  if (mode == MODE_OUTPUT) {
    /* Already an output: keep its level (a reconnecting host must not make a relay blip). */
    if (pin_mode(pin) != MODE_OUTPUT) pin_set_mode(pin, MODE_OUTPUT, fh_output_start_level(pin));
  } else if (mode == MODE_INPUT || mode == MODE_PULLUP) {
    if (fh_is_relay(pin)) return; /* a configured relay pin stays an output: never floats or pulls up */
    pin_set_mode(pin, mode, 0);
  }
  /* other modes (analog, PWM, servo, I2C...) are not offered in the capability response: ignored */
}

static void digital_message(uint8_t port, uint8_t value) {
  for (uint8_t i = 0; i < 8; i++) {
    uint8_t pin = (uint8_t)(port * 8 + i);
    if (pin_mode(pin) == MODE_OUTPUT) fh_host_write(pin, (value >> i) & 1);
  }
}

static void dispatch(void) {
  uint8_t c = cmd;
  cmd = 0;
  if (c >= 0xF0) {
    if (c == SET_PIN_MODE) set_pin_mode(args[0], args[1]);
    else if (c == SET_DIGITAL_PIN_VALUE) {
      if (pin_mode(args[0]) == MODE_OUTPUT) fh_host_write(args[0], args[1] ? 1 : 0);
    }
    return;
  }
  uint8_t ch = c & 0x0F;
  switch (c & 0xF0) {
    case DIGITAL_MESSAGE:
      if (ch < NUM_PORTS) digital_message(ch, (uint8_t)(args[0] | (args[1] << 7)));
      break;
    case REPORT_DIGITAL:
      if (ch < NUM_PORTS) {
        if (args[0]) {
          report_ports |= (uint8_t)(1u << ch);
          send_port(ch, read_port(ch)); /* the current levels at once, as StandardFirmata does */
        } else {
          report_ports &= (uint8_t)~(1u << ch);
        }
      }
      break;
    default: /* REPORT_ANALOG, ANALOG_MESSAGE: no analog or PWM pins offered */
      break;
  }
}

void firmata_feed(uint8_t b) {
  if (b & 0x80) {
    if (in_sysex && b == END_SYSEX) {
      in_sysex = 0;
      handle_sysex();
      return;
    }
    in_sysex = 0;
    cmd = 0;
    if (b == START_SYSEX) {
      in_sysex = 1;
      sysex_len = 0;
      return;
    }
    if (b == REPORT_VERSION) {
      firmata_send_version();
      return;
    }
    if (b == SYSTEM_RESET) {
      fh_system_reset();
      return;
    }
    uint8_t hi = b & 0xF0;
    if (b == SET_PIN_MODE || b == SET_DIGITAL_PIN_VALUE || hi == DIGITAL_MESSAGE || hi == ANALOG_MESSAGE) need = 2;
    else if (hi == REPORT_DIGITAL || hi == REPORT_ANALOG) need = 1;
    else return; /* unknown: skip until the next command byte */
    cmd = b;
    nargs = 0;
    return;
  }
  if (in_sysex) {
    if (sysex_len < SYSEX_MAX) sysex[sysex_len] = b;
    if (sysex_len <= SYSEX_MAX) sysex_len++;
    return;
  }
  if (!cmd) return;
  args[nargs++] = b;
  if (nargs == need) dispatch();
}
