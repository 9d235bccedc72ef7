#include "uart.h"
#include <avr/interrupt.h>
#include <avr/io.h>

#define BAUD 57600UL
#define RX_SIZE 128 /* powers of two */
#define TX_SIZE 256

static volatile uint8_t rx_buf[RX_SIZE];
static volatile uint8_t rx_head, rx_tail;
static volatile uint8_t tx_buf[TX_SIZE];
static volatile uint8_t tx_head, tx_tail;

void uart_init(void) {
  /* Double speed, as the Arduino core does: UBRR 34 gives 57142 baud (-0.8 %). */
  UCSR0A = _BV(U2X0);
  UBRR0 = (uint16_t)((F_CPU + 4UL * BAUD) / (8UL * BAUD) - 1); /* rounded */
  UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
  UCSR0B = _BV(RXEN0) | _BV(TXEN0) | _BV(RXCIE0);
}

ISR(USART_RX_vect) {
  uint8_t c = UDR0;
  uint8_t next = (uint8_t)((rx_head + 1) & (RX_SIZE - 1));
  if (next != rx_tail) { /* else: dropped (the host outran us) */
    rx_buf[rx_head] = c;
    rx_head = next;
  }
}

ISR(USART_UDRE_vect) {
  if (tx_head == tx_tail) {
    UCSR0B &= (uint8_t)~_BV(UDRIE0);
    return;
  }
  UDR0 = tx_buf[tx_tail];
  tx_tail = (uint8_t)((tx_tail + 1) & (TX_SIZE - 1));
}

int16_t uart_get(void) {
  if (rx_head == rx_tail) return -1;
  uint8_t c = rx_buf[rx_tail];
  rx_tail = (uint8_t)((rx_tail + 1) & (RX_SIZE - 1));
  return c;
}

uint8_t uart_rx_pending(void) { return rx_head != rx_tail; }

void uart_put(uint8_t c) {
  uint8_t next = (uint8_t)((tx_head + 1) & (TX_SIZE - 1));
  while (next == tx_tail) {
  }
  tx_buf[tx_head] = c;
  tx_head = next;
  UCSR0B |= _BV(UDRIE0);
}
