/* USART0 at 57600 baud, 8N1, with interrupt-driven receive and transmit ring buffers. */
#ifndef FENGHUO_UART_H
#define FENGHUO_UART_H
#include <stdint.h>

void uart_init(void);
/* Next received byte, or -1 when none is waiting. */
int16_t uart_get(void);
/* Whether a received byte is waiting (call with interrupts off to decide about sleeping). */
uint8_t uart_rx_pending(void);
/* Queues one byte; waits (interrupts must be on) while the transmit buffer is full. */
void uart_put(uint8_t c);
#endif
