/* The Firmata 2.5 subset johnny-five / firmata-io need, over the UART. */
#ifndef FENGHUO_FIRMATA_H
#define FENGHUO_FIRMATA_H
#include <stdint.h>

#define FIRMWARE_NAME "fenghuo-io"
#define FIRMWARE_MAJOR 1
#define FIRMWARE_MINOR 0

/* Feeds one received byte to the parser (dispatches complete messages). */
void firmata_feed(uint8_t b);
void firmata_send_version(void);
void firmata_send_firmware(void);
/* START_SYSEX cmd data... END_SYSEX; data bytes must be 7-bit. */
void firmata_send_sysex(uint8_t cmd, const uint8_t *data, uint8_t len);
/* Sends a DIGITAL_MESSAGE for every reported port whose input levels changed. Call once per tick. */
void firmata_scan_inputs(void);
/* Stops all digital reporting (SYSTEM_RESET). */
void firmata_reset_reporting(void);
#endif
