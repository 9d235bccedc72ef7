/*
 * Arduino Uno/Nano pin numbering: D0-D7 = PD0-PD7, D8-D13 = PB0-PB5, D14-D19 (A0-A5) = PC0-PC5.
 * D0/D1 carry the serial line and are never touched. Firmata ports: port n holds pins 8n..8n+7.
 */
#ifndef FENGHUO_PINS_H
#define FENGHUO_PINS_H
#include <stdint.h>

#define NUM_PINS 20
#define MODE_INPUT 0x00
#define MODE_OUTPUT 0x01
#define MODE_PULLUP 0x0B

static inline uint8_t pin_is_digital(uint8_t pin) { return pin >= 2 && pin < NUM_PINS; }

/* Every digital pin to INPUT without pull-up (high impedance), as after a hardware reset. */
void pins_reset(void);
uint8_t pin_mode(uint8_t pin);
/* INPUT and PULLUP as Firmata means them; OUTPUT starts at `level` (PORT is set before DDR: no glitch). */
void pin_set_mode(uint8_t pin, uint8_t mode, uint8_t level);
/* Output level; ignored unless the pin is an output. */
void pin_write(uint8_t pin, uint8_t level);
/* Level on the pin (PINx). */
uint8_t pin_read(uint8_t pin);
/* Level the pin drives (PORTx bit): the output level of an output, the pull-up flag of an input. */
uint8_t pin_latch(uint8_t pin);
#endif
