#include "clock.h"
#include <avr/interrupt.h>
#include <avr/io.h>
#include <util/atomic.h>

volatile uint32_t clock_ms_raw;

void clock_init(void) {
  TCCR0A = _BV(WGM01);                 /* CTC */
  TCCR0B = _BV(CS01) | _BV(CS00);      /* clk/64 */
  OCR0A = (F_CPU / 64UL / 1000UL) - 1; /* 249 at 16 MHz: 1 kHz */
  TIMSK0 = _BV(OCIE0A);
}

ISR(TIMER0_COMPA_vect) { clock_ms_raw++; }

uint32_t clock_ms(void) {
  uint32_t v;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { v = clock_ms_raw; }
  return v;
}
