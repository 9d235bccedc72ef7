#include "fenghuo.h"
#include "clock.h"
#include "firmata.h"
#include "pins.h"
#include <avr/eeprom.h>
#include <avr/interrupt.h>
#include <avr/io.h>
#include <util/atomic.h>

/* ---- persistent configuration (EEPROM; erased bytes read 0xFF = "not configured") ---- */

#define EE_RELAY 8     /* one byte per pin 0..19: RELAY_* flags, 0xFF = not a relay */
#define EE_FAILSAFE 32 /* silence s, on ms, off ms, bound s: 4 x uint16 */
#define EE_PULSE 40    /* per channel (INT0 = D2, INT1 = D3): edge, unused, min gap ms (uint16) */

#define RELAY_ACTIVE_LOW 0x01
#define RELAY_ROLE_SHIFT 1
#define RELAY_ROLE_MASK 0x06
#define ROLE_PLAIN 0 /* safe when the host falls silent, and during the board's evacuate run */
#define ROLE_SIREN 1 /* sounds the evacuate pattern during the board's evacuate run */
#define ROLE_HOLD 2  /* keeps its level during the board's evacuate run (e.g. siren amplifier power) */
#define RELAY_NONE 0x7F

#define EDGE_OFF 0
#define EDGE_FALLING 1
#define EDGE_RISING 2

static uint8_t relay_flags[NUM_PINS]; /* RELAY_NONE or flags */
static uint16_t silence_s = 10, on_ms = 1000, off_ms = 1000, bound_s = 600;
static uint8_t pulse_edge[2];
static uint16_t pulse_gap_ms[2];

/* ---- state kept across watchdog and external resets (not power-on / brown-out) ---- */

#define RETAINED_MAGIC 0x46484C31UL /* "FHL1" */
enum { FS_HOST = 0, FS_SILENT_SAFE = 1, FS_EVACUATING = 2, FS_EXPIRED = 3 };

static struct {
  uint32_t magic;
  uint8_t host_armed; /* a heartbeat was seen since power-on: silence means the host is gone */
  uint8_t evac_armed; /* the host commanded evacuate */
  uint8_t fs_state;
  uint8_t wdt_resets;
  uint32_t evac_elapsed_ms; /* time the board itself has sounded evacuate (bounded) */
  volatile uint32_t pulses[2];
  uint32_t magic2;
} retained __attribute__((section(".noinit")));

static uint8_t reset_cause;
static uint32_t last_heartbeat_ms;
static uint32_t last_tick_ms;
static volatile uint32_t last_edge_ms[2];

static uint16_t ee_u16(uint16_t addr, uint16_t dflt) {
  uint16_t v = eeprom_read_word((const uint16_t *)addr);
  return v == 0xFFFF ? dflt : v;
}

static uint8_t active_level(uint8_t pin) { return (relay_flags[pin] & RELAY_ACTIVE_LOW) ? 0 : 1; }
static uint8_t role(uint8_t pin) { return (uint8_t)((relay_flags[pin] & RELAY_ROLE_MASK) >> RELAY_ROLE_SHIFT); }
uint8_t fh_is_relay(uint8_t pin) { return pin_is_digital(pin) && relay_flags[pin] != RELAY_NONE; }
uint8_t fh_output_start_level(uint8_t pin) { return fh_is_relay(pin) ? (uint8_t)!active_level(pin) : 0; }

static void relay_safe(uint8_t pin) {
  uint8_t level = (uint8_t)!active_level(pin);
  if (pin_mode(pin) != MODE_OUTPUT) pin_set_mode(pin, MODE_OUTPUT, level);
  else pin_write(pin, level);
}

static void all_relays_safe(void) {
  for (uint8_t p = 2; p < NUM_PINS; p++)
    if (fh_is_relay(p)) relay_safe(p);
}

static void encode32(uint8_t *out, uint32_t v) {
  for (uint8_t i = 0; i < 5; i++, v >>= 7) out[i] = v & 0x7F;
}

static void send_status(void) {
  uint8_t d[11];
  d[0] = (uint8_t)((retained.host_armed ? 1 : 0) | (retained.evac_armed ? 2 : 0)
#ifdef FENGHUO_TEST_HANG
                   | 4
#endif
  );
  d[1] = retained.fs_state;
  d[2] = reset_cause & 0x0F;
  d[3] = retained.wdt_resets;
  encode32(d + 4, clock_ms());
  uint32_t evac_s = retained.evac_elapsed_ms / 1000;
  d[9] = evac_s & 0x7F;
  d[10] = (evac_s >> 7) & 0x7F;
  firmata_send_sysex(FH_STATUS, d, sizeof d);
}

static void set_state(uint8_t s) {
  if (retained.fs_state == s) return;
  retained.fs_state = s;
  send_status(); /* unsolicited, so a host that comes back (or a test) sees what happened */
}

/* ---- pulse counters: counted in the interrupt, so nothing is missed while the host is busy or away ---- */

static void count_edge(uint8_t ch) {
  uint32_t now = clock_ms_raw; /* interrupts are off inside an ISR */
  if (pulse_gap_ms[ch] && retained.pulses[ch] && now - last_edge_ms[ch] < pulse_gap_ms[ch]) return;
  last_edge_ms[ch] = now;
  retained.pulses[ch]++;
}
ISR(INT0_vect) { count_edge(0); }
ISR(INT1_vect) { count_edge(1); }

static void pulse_apply(uint8_t ch) {
  uint8_t shift = (uint8_t)(ch * 2);
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    EIMSK &= (uint8_t)~_BV(ch);
    EICRA = (uint8_t)((EICRA & ~(3u << shift)) | ((pulse_edge[ch] == EDGE_RISING ? 3u : 2u) << shift));
    EIFR = _BV(ch);
    if (pulse_edge[ch] != EDGE_OFF) EIMSK |= _BV(ch);
  }
}

/* ---- boot ---- */

void fh_boot(uint8_t mcusr) {
  reset_cause = mcusr;
  for (uint8_t p = 0; p < NUM_PINS; p++) {
    uint8_t f = eeprom_read_byte((const uint8_t *)(EE_RELAY + p));
    relay_flags[p] = (f & 0x80) || !pin_is_digital(p) ? RELAY_NONE : f;
  }
  silence_s = ee_u16(EE_FAILSAFE + 0, silence_s);
  on_ms = ee_u16(EE_FAILSAFE + 2, on_ms);
  off_ms = ee_u16(EE_FAILSAFE + 4, off_ms);
  bound_s = ee_u16(EE_FAILSAFE + 6, bound_s);
  for (uint8_t ch = 0; ch < 2; ch++) {
    uint8_t e = eeprom_read_byte((const uint8_t *)(EE_PULSE + ch * 4));
    pulse_edge[ch] = e <= EDGE_RISING ? e : EDGE_OFF;
    pulse_gap_ms[ch] = ee_u16(EE_PULSE + ch * 4 + 2, 0);
  }

  uint8_t power_on = mcusr & (_BV(PORF) | _BV(BORF));
  if (power_on || retained.magic != RETAINED_MAGIC || retained.magic2 != ~RETAINED_MAGIC) {
    retained.host_armed = 0;
    retained.evac_armed = 0;
    retained.fs_state = FS_HOST;
    retained.wdt_resets = 0;
    retained.evac_elapsed_ms = 0;
    retained.pulses[0] = retained.pulses[1] = 0;
    retained.magic = RETAINED_MAGIC;
    retained.magic2 = ~RETAINED_MAGIC;
  } else if ((mcusr & _BV(WDRF)) && retained.wdt_resets < 127) {
    retained.wdt_resets++;
  }
  if (retained.fs_state == FS_SILENT_SAFE) retained.fs_state = FS_HOST; /* relays are safe after a reset anyway */

  /* Safe boot: every pin high-impedance; relay pins driven to their inactive level (PORT before DDR). */
  pins_reset();
  all_relays_safe();
  for (uint8_t ch = 0; ch < 2; ch++) {
    if (pulse_edge[ch] != EDGE_OFF) pin_set_mode((uint8_t)(2 + ch), MODE_PULLUP, 0);
    pulse_apply(ch);
  }
  /* The silence clock starts at boot: a host that was heartbeating before the reset gets `silence_s` to speak. */
  last_heartbeat_ms = 0;
  last_tick_ms = 0;
}

/* ---- fail-safe ---- */

static void evacuate_pattern(uint32_t elapsed) {
  uint32_t period = (uint32_t)on_ms + off_ms;
  uint8_t sounding = period == 0 || elapsed % period < on_ms;
  for (uint8_t p = 2; p < NUM_PINS; p++) {
    if (!fh_is_relay(p) || role(p) != ROLE_SIREN) continue;
    uint8_t level = sounding ? active_level(p) : (uint8_t)!active_level(p);
    if (pin_mode(p) != MODE_OUTPUT) pin_set_mode(p, MODE_OUTPUT, level);
    else if (pin_latch(p) != level) pin_write(p, level);
  }
}

static void start_evacuating(void) {
  for (uint8_t p = 2; p < NUM_PINS; p++)
    if (fh_is_relay(p) && role(p) == ROLE_PLAIN) relay_safe(p);
  set_state(FS_EVACUATING);
  evacuate_pattern(retained.evac_elapsed_ms);
}

void fh_tick(uint32_t now) {
  uint32_t dt = now - last_tick_ms;
  last_tick_ms = now;
  uint8_t silent = retained.host_armed && silence_s && now - last_heartbeat_ms >= (uint32_t)silence_s * 1000UL;
  switch (retained.fs_state) {
    case FS_HOST:
      if (!silent) break;
      if (retained.evac_armed) {
        start_evacuating();
      } else {
        all_relays_safe();
        set_state(FS_SILENT_SAFE);
      }
      break;
    case FS_EVACUATING:
      retained.evac_elapsed_ms += dt;
      if (!retained.evac_armed || retained.evac_elapsed_ms >= (uint32_t)bound_s * 1000UL) {
        all_relays_safe();
        retained.evac_armed = 0;
        set_state(FS_EXPIRED);
      } else {
        evacuate_pattern(retained.evac_elapsed_ms);
      }
      break;
    default:
      break;
  }
}

void fh_host_write(uint8_t pin, uint8_t level) { pin_write(pin, level); }

void fh_system_reset(void) {
  firmata_reset_reporting();
  retained.host_armed = 0;
  retained.evac_armed = 0;
  retained.evac_elapsed_ms = 0;
  retained.fs_state = FS_HOST;
  for (uint8_t p = 2; p < NUM_PINS; p++) {
    if (fh_is_relay(p)) relay_safe(p);
    else if (!(p <= 3 && pulse_edge[p - 2] != EDGE_OFF)) pin_set_mode(p, MODE_INPUT, 0);
  }
}

/* ---- commands ---- */

static uint16_t u14(const uint8_t *d) { return (uint16_t)(d[0] | (d[1] << 7)); }
static void put14(uint8_t *d, uint16_t v) {
  d[0] = v & 0x7F;
  d[1] = (v >> 7) & 0x7F;
}

static void relay_config(const uint8_t *d, uint8_t n) {
  uint8_t pin = d[0];
  if (!pin_is_digital(pin)) return;
  if (n >= 2) {
    uint8_t f = d[1] == RELAY_NONE ? RELAY_NONE : (d[1] & (RELAY_ACTIVE_LOW | RELAY_ROLE_MASK));
    relay_flags[pin] = f;
    eeprom_update_byte((uint8_t *)(EE_RELAY + pin), f == RELAY_NONE ? 0xFF : f);
    if (f != RELAY_NONE && pin_mode(pin) != MODE_OUTPUT) pin_set_mode(pin, MODE_OUTPUT, (uint8_t)!active_level(pin));
  }
  uint8_t r[2] = {pin, relay_flags[pin]};
  firmata_send_sysex(FH_RELAY_CONFIG, r, 2);
}

static void failsafe_config(const uint8_t *d, uint8_t n) {
  if (n >= 8) {
    silence_s = u14(d);
    on_ms = u14(d + 2);
    off_ms = u14(d + 4);
    bound_s = u14(d + 6);
    eeprom_update_word((uint16_t *)(EE_FAILSAFE + 0), silence_s);
    eeprom_update_word((uint16_t *)(EE_FAILSAFE + 2), on_ms);
    eeprom_update_word((uint16_t *)(EE_FAILSAFE + 4), off_ms);
    eeprom_update_word((uint16_t *)(EE_FAILSAFE + 6), bound_s);
  }
  uint8_t r[8];
  put14(r, silence_s);
  put14(r + 2, on_ms);
  put14(r + 4, off_ms);
  put14(r + 6, bound_s);
  firmata_send_sysex(FH_FAILSAFE_CONFIG, r, 8);
}

static void pulse_config(const uint8_t *d, uint8_t n) {
  uint8_t pin = d[0];
  if (pin != 2 && pin != 3) return;
  uint8_t ch = (uint8_t)(pin - 2);
  if (n >= 4 && d[1] <= EDGE_RISING) {
    pulse_edge[ch] = d[1];
    pulse_gap_ms[ch] = u14(d + 2);
    eeprom_update_byte((uint8_t *)(EE_PULSE + ch * 4), pulse_edge[ch]);
    eeprom_update_word((uint16_t *)(EE_PULSE + ch * 4 + 2), pulse_gap_ms[ch]);
    if (pulse_edge[ch] != EDGE_OFF && pin_mode(pin) == MODE_INPUT) pin_set_mode(pin, MODE_PULLUP, 0);
    pulse_apply(ch);
  }
  uint8_t r[4] = {pin, pulse_edge[ch], 0, 0};
  put14(r + 2, pulse_gap_ms[ch]);
  firmata_send_sysex(FH_PULSE_CONFIG, r, 4);
}

static void pulse_count(uint8_t pin) {
  if (pin != 2 && pin != 3) return;
  uint32_t v;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { v = retained.pulses[pin - 2]; }
  uint8_t r[6] = {pin};
  encode32(r + 1, v);
  firmata_send_sysex(FH_PULSE_COUNT, r, 6);
}

void fh_handle_sysex(uint8_t cmd, const uint8_t *d, uint8_t n) {
  switch (cmd) {
    case FH_HEARTBEAT:
      last_heartbeat_ms = clock_ms();
      retained.host_armed = 1;
      set_state(FS_HOST); /* the host is back: it owns the relays again, as they are now */
      break;
    case FH_RELAY_CONFIG:
      if (n >= 1) relay_config(d, n);
      break;
    case FH_FAILSAFE_CONFIG:
      failsafe_config(d, n);
      break;
    case FH_EVACUATE:
      if (n >= 1) {
        if (d[0]) {
          if (!retained.evac_armed) retained.evac_elapsed_ms = 0;
          retained.evac_armed = 1;
        } else {
          retained.evac_armed = 0;
          if (retained.fs_state == FS_EVACUATING) {
            all_relays_safe();
            set_state(FS_HOST);
          }
        }
      }
      send_status();
      break;
    case FH_PULSE_CONFIG:
      if (n >= 1) pulse_config(d, n);
      break;
    case FH_PULSE_COUNT:
      if (n >= 1) pulse_count(d[0]);
      break;
    case FH_STATUS:
      send_status();
      break;
#ifdef FENGHUO_TEST_HANG
    case FH_TEST_HANG:
      if (n == 4 && d[0] == 'H' && d[1] == 'A' && d[2] == 'N' && d[3] == 'G') {
        for (;;) { /* the main loop stops calling wdt_reset(): the watchdog must reset the board */
        }
      }
      break;
#endif
    default:
      break;
  }
}
