/*
 * fenghuo-io: Firmata 2.5 subset plus fenghuo extensions for the ATmega328P I/O co-processor.
 * Main loop: feed received bytes to the Firmata parser; once per millisecond scan the inputs and run the
 * fail-safe; otherwise sleep (idle) until an interrupt. The watchdog is fed here and only here.
 */
#include "clock.h"
#include "fenghuo.h"
#include "firmata.h"
#include "uart.h"
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <avr/wdt.h>

static uint8_t mcusr_at_boot __attribute__((section(".noinit")));

/* Runs before RAM initialisation: after a watchdog reset the watchdog stays on at its shortest period. */
void early_init(void) __attribute__((naked, used, section(".init3")));
void early_init(void) {
  mcusr_at_boot = MCUSR;
  MCUSR = 0;
  wdt_disable();
}

int main(void) {
  fh_boot(mcusr_at_boot);
  uart_init();
  clock_init();
  set_sleep_mode(SLEEP_MODE_IDLE);
  wdt_enable(WDTO_1S);
  sei();
  /* Announce ourselves as StandardFirmata does at start-up. */
  firmata_send_version();
  firmata_send_firmware();

  uint32_t last = 0;
  for (;;) {
    wdt_reset();
    for (uint8_t i = 0; i < 64; i++) {
      int16_t c = uart_get();
      if (c < 0) break;
      firmata_feed((uint8_t)c);
    }
    uint32_t now = clock_ms();
    if (now != last) {
      last = now;
      firmata_scan_inputs();
      fh_tick(now);
    }
    cli();
    if (!uart_rx_pending() && clock_ms_raw == last) {
      sleep_enable();
      sei();
      sleep_cpu();
      sleep_disable();
    }
    sei();
  }
}
