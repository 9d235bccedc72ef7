/*
 * fenghuo extensions: relay polarity and roles (EEPROM), the host heartbeat and fail-safe, the evacuate latch
 * (kept across watchdog and external resets in .noinit RAM), the rain-gauge pulse counters on INT0/INT1.
 * The bytes are documented in ../PROTOCOL.md.
 */
#ifndef FENGHUO_FENGHUO_H
#define FENGHUO_FENGHUO_H
#include <stdint.h>

/* Sysex ids, in Firmata's user-defined range 0x01-0x0F. */
#define FH_HEARTBEAT 0x01
#define FH_RELAY_CONFIG 0x02
#define FH_FAILSAFE_CONFIG 0x03
#define FH_EVACUATE 0x04
#define FH_PULSE_CONFIG 0x05
#define FH_PULSE_COUNT 0x06
#define FH_STATUS 0x07
#define FH_TEST_HANG 0x0E

/* Called first thing with the reset cause (MCUSR); puts every pin in its safe boot state. */
void fh_boot(uint8_t mcusr);
/* Fail-safe state machine; call once per millisecond tick. */
void fh_tick(uint32_t now_ms);
/* Our sysex commands; anything else is ignored. */
void fh_handle_sysex(uint8_t cmd, const uint8_t *d, uint8_t n);
/* Level a pin takes when the host makes it an output: the inactive level of a relay, else LOW. */
uint8_t fh_output_start_level(uint8_t pin);
uint8_t fh_is_relay(uint8_t pin);
/* A host write to an output pin. */
void fh_host_write(uint8_t pin, uint8_t level);
/* Firmata SYSTEM_RESET. */
void fh_system_reset(void);
#endif
