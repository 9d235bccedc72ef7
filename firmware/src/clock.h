/* Millisecond tick from Timer0 (CTC, 1 kHz). The tick interrupt also wakes the main loop from idle sleep. */
#ifndef FENGHUO_CLOCK_H
#define FENGHUO_CLOCK_H
#include <stdint.h>

extern volatile uint32_t clock_ms_raw; /* read only with interrupts off, or through clock_ms() */
void clock_init(void);
uint32_t clock_ms(void);
#endif
