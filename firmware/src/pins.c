#include "pins.h"
#include <avr/io.h>
#include <util/atomic.h>

static uint8_t modes[NUM_PINS];

static volatile uint8_t *port_reg(uint8_t pin) { return pin < 8 ? &PORTD : pin < 14 ? &PORTB : &PORTC; }
static volatile uint8_t *ddr_reg(uint8_t pin) { return pin < 8 ? &DDRD : pin < 14 ? &DDRB : &DDRC; }
static volatile uint8_t *in_reg(uint8_t pin) { return pin < 8 ? &PIND : pin < 14 ? &PINB : &PINC; }
static uint8_t mask(uint8_t pin) { return (uint8_t)(1u << (pin < 8 ? pin : pin < 14 ? pin - 8 : pin - 14)); }

void pins_reset(void) {
  for (uint8_t p = 2; p < NUM_PINS; p++) pin_set_mode(p, MODE_INPUT, 0);
}

uint8_t pin_mode(uint8_t pin) { return pin_is_digital(pin) ? modes[pin] : MODE_INPUT; }

static void set_bit(volatile uint8_t *reg, uint8_t m, uint8_t on) {
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    if (on) *reg |= m;
    else *reg &= (uint8_t)~m;
  }
}

void pin_set_mode(uint8_t pin, uint8_t mode, uint8_t level) {
  if (!pin_is_digital(pin)) return;
  uint8_t m = mask(pin);
  if (mode == MODE_OUTPUT) {
    set_bit(port_reg(pin), m, level);
    set_bit(ddr_reg(pin), m, 1);
  } else {
    set_bit(ddr_reg(pin), m, 0);
    set_bit(port_reg(pin), m, mode == MODE_PULLUP);
    mode = mode == MODE_PULLUP ? MODE_PULLUP : MODE_INPUT;
  }
  modes[pin] = mode;
}

void pin_write(uint8_t pin, uint8_t level) {
  if (!pin_is_digital(pin) || modes[pin] != MODE_OUTPUT) return;
  set_bit(port_reg(pin), mask(pin), level);
}

uint8_t pin_read(uint8_t pin) { return pin_is_digital(pin) && (*in_reg(pin) & mask(pin)) ? 1 : 0; }

uint8_t pin_latch(uint8_t pin) { return pin_is_digital(pin) && (*port_reg(pin) & mask(pin)) ? 1 : 0; }
