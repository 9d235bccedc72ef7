/*
 * fenghuo-simavr: runs an AVR .hex on an emulated ATmega328P (16 MHz) under libsimavr, paced to wall-clock time.
 *
 *   fenghuo-simavr --hex FILE [--link PATH] [--boot-delay-ms N]
 *
 * - --boot-delay-ms N: after every reset (power-on at start included) the firmware starts only N ms (simulated,
 *   paced to wall time) later, as behind a slow bootloader; bytes the host sends meanwhile are lost (the bootloader
 *   eats them). Events {"ev":"boot-hold","ms":N} and {"ev":"boot"} mark the hold.
 * - UART0 is bridged to a pseudo-terminal at "57600 baud" (the emulated UART's own byte timing); the slave path is
 *   printed in the first stdout line, and symlinked at PATH with --link.
 * - stdout: JSON lines, one per event, `t` = simulated time in microseconds since start:
 *     {"ev":"ready","pty":"/dev/pts/N","t":0}
 *     {"ev":"pin","pin":7,"state":"high"|"low"|"pullup"|"z","t":...}   (Arduino pin numbers 2..19)
 *     {"ev":"reset","cause":"power"|"external"|"watchdog","t":...}
 *     {"ev":"pulses-done","pin":2,"count":50,"t":...}
 *     {"ev":"stats",...} {"ev":"exit",...}
 * - stdin: one command per line:
 *     pin N high|low|release      drive an input pin from outside (release: leave it to the AVR / its pull-up)
 *     pulse N COUNT PERIOD_MS LOW_MS   COUNT low pulses of LOW_MS every PERIOD_MS (simulated time)
 *     reset                       external reset (as DTR on port open): RAM is kept, MCUSR = EXTRF
 *     power                       power cycle: RAM filled with garbage, MCUSR = PORF, EEPROM kept
 *     stats                       print a stats line
 *     quit
 * - simavr 1.6 re-polls INT0/INT1 every cycle while such a pin is low in level-trigger mode ("strict level
 *   triggering"), which costs most of a core; it is turned off after every reset (it acts like a falling edge then).
 * - The firmware's idle sleep is where wall time is waited for (and where the pty and stdin are served), so an
 *   idle board costs little CPU; a busy loop is throttled so simulated time never runs ahead of wall time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "avr_extint.h"
#include "avr_ioport.h"
#include "avr_uart.h"
#include "sim_avr.h"
#include "sim_hex.h"
#include "sim_io.h"
#include "sim_irq.h"
#include "sim_time.h"

static avr_t *avr;
static int master_fd = -1;
static int slave_gone; /* the pty's slave side is closed: master reads give EIO */
static uint64_t slave_retry_ns;
static char stdin_buf[512];
static size_t stdin_len;
static int stdin_open = 1;

/* UART bridge */
static avr_irq_t *uart_in_irq;
static int uart_xon;
static uint8_t rx_buf[4096];
static size_t rx_head, rx_len; /* pty -> AVR, waiting for room in the UART's fifo */
static uint8_t tx_buf[8192];
static size_t tx_len;          /* AVR -> pty */
static unsigned long tx_dropped, rx_bytes, tx_bytes;

/* pins */
struct port { char name; uint8_t port, ddr, ext_mask, ext_value; };
static struct port ports[3] = {{'B', 0, 0, 0, 0}, {'C', 0, 0, 0, 0}, {'D', 0, 0, 0, 0}};
static char pin_state[20][8];

/* pending work that must not run inside avr_run() */
static int post_reset;
static int want_reset; /* 1 external, 2 power */
static const char *next_reset_cause;
static int quit;

/* --boot-delay-ms: the AVR is held (a bootloader running) until this simulated time, 0 = not held */
static unsigned boot_delay_ms;
static uint64_t hold_until_ns;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
static uint64_t wall_base_ns;
static uint64_t wall_ns(void) { return now_ns() - wall_base_ns; }
static uint64_t sim_ns(void) { return avr_cycles_to_nsec(avr, avr->cycle); }
static unsigned long long sim_us(void) { return (unsigned long long)(sim_ns() / 1000); }

static FILE *events; /* the real stdout; simavr's own printf()s are sent to stderr */

static void emit(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(events, fmt, ap);
  va_end(ap);
  fprintf(events, ",\"t\":%llu}\n", sim_us());
  fflush(events);
}

static void quiet_logger(avr_t *a, const int level, const char *format, va_list ap) {
  (void)a;
  if (level <= LOG_WARNING) vfprintf(stderr, format, ap);
}

/* ---- pins ---- */

static int pin_to_port(int pin, int *bit) {
  if (pin < 0 || pin > 19) return -1;
  if (pin < 8) { *bit = pin; return 2; }
  if (pin < 14) { *bit = pin - 8; return 0; }
  *bit = pin - 14;
  return 1;
}

static void log_port_pins(int pi) {
  struct port *p = &ports[pi];
  for (int pin = 2; pin < 20; pin++) {
    int bit;
    if (pin_to_port(pin, &bit) != pi) continue;
    const char *s;
    if (p->ddr & (1 << bit)) s = (p->port & (1 << bit)) ? "high" : "low";
    else s = (p->port & (1 << bit)) ? "pullup" : "z";
    if (strcmp(pin_state[pin], s) == 0) continue;
    strcpy(pin_state[pin], s);
    emit("{\"ev\":\"pin\",\"pin\":%d,\"state\":\"%s\"", pin, s);
  }
}

static void on_port_reg(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  struct port *p = param;
  p->port = (uint8_t)value;
  log_port_pins((int)(p - ports));
}

static void on_ddr_reg(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  struct port *p = param;
  p->ddr = (uint8_t)value;
  log_port_pins((int)(p - ports));
}

static void drive_pin(int pin, int mode /* 0 low, 1 high, -1 release */) {
  int bit, pi = pin_to_port(pin, &bit);
  if (pi < 0) return;
  struct port *p = &ports[pi];
  if (mode < 0) p->ext_mask &= (uint8_t)~(1 << bit);
  else {
    p->ext_mask |= (uint8_t)(1 << bit);
    if (mode) p->ext_value |= (uint8_t)(1 << bit);
    else p->ext_value &= (uint8_t)~(1 << bit);
  }
  /* The port keeps these as the level of an input pin, so the AVR's own PORT writes do not override them. */
  avr_ioport_external_t ext = {.name = p->name, .mask = p->ext_mask, .value = p->ext_value & p->ext_mask};
  avr_ioctl(avr, AVR_IOCTL_IOPORT_SET_EXTERNAL(p->name), &ext);
  int level = mode >= 0 ? mode : ((p->port >> bit) & 1);
  if (p->ddr & (1 << bit)) return; /* an output: the AVR drives it */
  avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(p->name), bit), (uint32_t)level);
}

/* ---- pulse trains (in simulated time) ---- */

struct pulse { int pin, left, done; uint32_t period_us, low_us; int low; };

static avr_cycle_count_t pulse_step(avr_t *a, avr_cycle_count_t when, void *param) {
  struct pulse *pl = param;
  if (!pl->low) {
    drive_pin(pl->pin, 0);
    pl->low = 1;
    return when + avr_usec_to_cycles(a, pl->low_us);
  }
  drive_pin(pl->pin, 1);
  pl->low = 0;
  pl->done++;
  if (--pl->left > 0) return when + avr_usec_to_cycles(a, pl->period_us - pl->low_us);
  emit("{\"ev\":\"pulses-done\",\"pin\":%d,\"count\":%d", pl->pin, pl->done);
  free(pl);
  return 0;
}

/* ---- reset hook: a pseudo I/O module whose reset() runs on every AVR reset ---- */

static void on_reset(avr_io_t *io) {
  (void)io;
  uart_xon = 0;
  for (int i = 0; i < 3; i++) ports[i].port = ports[i].ddr = 0;
  emit("{\"ev\":\"reset\",\"cause\":\"%s\"", next_reset_cause ? next_reset_cause : "watchdog");
  next_reset_cause = NULL;
  for (int i = 0; i < 3; i++) log_port_pins(i);
  post_reset = 1;
}

static avr_io_t reset_hook = {.kind = "fenghuo-harness", .reset = on_reset};

static void after_reset(void) {
  post_reset = 0;
  if (boot_delay_ms) {
    hold_until_ns = sim_ns() + (uint64_t)boot_delay_ms * 1000000ull;
    emit("{\"ev\":\"boot-hold\",\"ms\":%u", boot_delay_ms);
  }
  avr_extint_set_strict_lvl_trig(avr, 0, 0);
  avr_extint_set_strict_lvl_trig(avr, 1, 0);
  uint32_t flags = 0; /* no UART echo on simavr's console */
  avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
  /* external drives survive the reset (they are outside the chip) */
  for (int i = 0; i < 3; i++) {
    avr_ioport_external_t ext = {.name = ports[i].name, .mask = ports[i].ext_mask, .value = ports[i].ext_value};
    avr_ioctl(avr, AVR_IOCTL_IOPORT_SET_EXTERNAL(ports[i].name), &ext);
    for (int bit = 0; bit < 8; bit++)
      if (ports[i].ext_mask & (1 << bit))
        avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(ports[i].name), bit), (ports[i].ext_value >> bit) & 1);
  }
}

/* ---- UART <-> pty ---- */

static void feed_uart(void) {
  while (uart_xon && rx_len) {
    uint8_t b = rx_buf[rx_head];
    rx_head = (rx_head + 1) % sizeof rx_buf;
    rx_len--;
    rx_bytes++;
    avr_raise_irq(uart_in_irq, b); /* may call on_xoff() */
  }
}

static void on_uart_out(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  (void)param;
  tx_bytes++;
  if (tx_len < sizeof tx_buf) tx_buf[tx_len++] = (uint8_t)value;
  else tx_dropped++;
}
static void on_xon(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  (void)value;
  (void)param;
  uart_xon = 1;
  feed_uart();
}
static void on_xoff(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  (void)param;
  if (value) uart_xon = 0;
}

static void flush_tx(void) {
  if (!tx_len) return;
  if (slave_gone) { /* nobody listening: bytes are lost, as on a USB serial line with the port closed */
    tx_dropped += tx_len;
    tx_len = 0;
    return;
  }
  ssize_t n = write(master_fd, tx_buf, tx_len);
  if (n > 0) {
    memmove(tx_buf, tx_buf + n, tx_len - (size_t)n);
    tx_len -= (size_t)n;
  } else if (n < 0 && errno == EIO) {
    slave_gone = 1;
  }
}

static void read_master(void) {
  while (rx_len < sizeof rx_buf) {
    uint8_t tmp[512];
    size_t room = sizeof rx_buf - rx_len;
    ssize_t n = read(master_fd, tmp, room < sizeof tmp ? room : sizeof tmp);
    if (n > 0) {
      slave_gone = 0;
      for (ssize_t i = 0; i < n; i++) rx_buf[(rx_head + rx_len++) % sizeof rx_buf] = tmp[i];
      continue;
    }
    if (n < 0 && errno == EIO) {
      slave_gone = 1;
      slave_retry_ns = wall_ns() + 20000000ull;
    }
    break;
  }
  feed_uart();
}

/* ---- commands ---- */

static void command(char *line) {
  int pin, count;
  unsigned period, low;
  char word[16];
  if (sscanf(line, "pin %d %15s", &pin, word) == 2) {
    drive_pin(pin, !strcmp(word, "high") ? 1 : !strcmp(word, "low") ? 0 : -1);
  } else if (sscanf(line, "pulse %d %d %u %u", &pin, &count, &period, &low) == 4 && count > 0 && low < period) {
    struct pulse *pl = calloc(1, sizeof *pl);
    *pl = (struct pulse){.pin = pin, .left = count, .period_us = period * 1000u, .low_us = low * 1000u};
    avr_cycle_timer_register(avr, 1, pulse_step, pl);
  } else if (!strncmp(line, "reset", 5)) {
    want_reset = 1;
  } else if (!strncmp(line, "power", 5)) {
    want_reset = 2;
  } else if (!strncmp(line, "stats", 5)) {
    emit("{\"ev\":\"stats\",\"rx\":%lu,\"tx\":%lu,\"txDropped\":%lu,\"cycles\":%llu,\"wallUs\":%llu", rx_bytes,
         tx_bytes, tx_dropped, (unsigned long long)avr->cycle, (unsigned long long)(wall_ns() / 1000));
  } else if (!strncmp(line, "quit", 4)) {
    quit = 1;
  } else if (line[0]) {
    fprintf(stderr, "fenghuo-simavr: unknown command: %s\n", line);
  }
}

static void read_stdin(void) {
  ssize_t n = read(0, stdin_buf + stdin_len, sizeof stdin_buf - 1 - stdin_len);
  if (n == 0) { /* the test went away */
    stdin_open = 0;
    quit = 1;
    return;
  }
  if (n < 0) return;
  stdin_len += (size_t)n;
  char *nl;
  while ((nl = memchr(stdin_buf, '\n', stdin_len))) {
    *nl = 0;
    command(stdin_buf);
    size_t used = (size_t)(nl + 1 - stdin_buf);
    memmove(stdin_buf, nl + 1, stdin_len - used);
    stdin_len -= used;
  }
  if (stdin_len == sizeof stdin_buf - 1) stdin_len = 0;
}

/* Serves stdin and the pty for at most `wait_ns`; returns whether anything arrived. */
static int service(uint64_t wait_ns) {
  flush_tx();
  struct pollfd fds[2];
  int nfds = 0;
  if (stdin_open) fds[nfds++] = (struct pollfd){.fd = 0, .events = POLLIN};
  int master_polled = 0;
  if (!slave_gone || wall_ns() >= slave_retry_ns) {
    if (slave_gone) {
      slave_gone = 0; /* probe: poll() says POLLHUP again while no client has the slave open */
      slave_retry_ns = wall_ns() + 20000000ull;
    }
    if (rx_len < sizeof rx_buf) {
      fds[nfds++] = (struct pollfd){.fd = master_fd, .events = (short)(POLLIN | (tx_len ? POLLOUT : 0))};
      master_polled = 1;
    }
  }
  if (slave_gone && wait_ns > 20000000ull) wait_ns = 20000000ull;
  struct timespec ts = {.tv_sec = (time_t)(wait_ns / 1000000000ull), .tv_nsec = (long)(wait_ns % 1000000000ull)};
  int r = ppoll(fds, (nfds_t)nfds, &ts, NULL);
  if (r <= 0) return 0;
  int got = 0;
  for (int i = 0; i < nfds; i++) {
    if (!fds[i].revents) continue;
    if (fds[i].fd == 0) {
      read_stdin();
      got = 1;
    } else if (master_polled) {
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        size_t before = rx_len;
        read_master();
        if (rx_len != before) got = 1;
        if (fds[i].revents & POLLHUP) { /* no client has the slave open */
          slave_gone = 1;
          slave_retry_ns = wall_ns() + 20000000ull;
        }
      }
      if (fds[i].revents & POLLOUT) flush_tx();
    }
  }
  return got;
}

/* Replaces simavr's usleep(): waits until wall time reaches the end of the sleep, serving I/O meanwhile. */
static void harness_sleep(avr_t *a, avr_cycle_count_t how_long) {
  uint64_t deadline = avr_cycles_to_nsec(a, a->cycle + how_long);
  for (;;) {
    uint64_t now = wall_ns();
    if (now >= deadline || quit || want_reset) return;
    if (service(deadline - now)) return; /* let the AVR see it at once */
  }
}

static void open_pty(const char *link) {
  master_fd = posix_openpt(O_RDWR | O_NOCTTY);
  if (master_fd < 0 || grantpt(master_fd) || unlockpt(master_fd)) {
    perror("posix_openpt");
    exit(2);
  }
  const char *slave = ptsname(master_fd);
  int s = open(slave, O_RDWR | O_NOCTTY);
  if (s >= 0) {
    struct termios t;
    tcgetattr(s, &t);
    cfmakeraw(&t);
    cfsetspeed(&t, B57600);
    tcsetattr(s, TCSANOW, &t);
    close(s);
  }
  fcntl(master_fd, F_SETFL, fcntl(master_fd, F_GETFL) | O_NONBLOCK);
  slave_gone = 1; /* until someone opens it */
  if (link) {
    unlink(link);
    if (symlink(slave, link)) {
      perror("symlink");
      exit(2);
    }
  }
  emit("{\"ev\":\"ready\",\"pty\":\"%s\"", slave);
}

static void do_reset(int kind) {
  want_reset = 0;
  if (kind == 2) { /* power cycle: SRAM comes up with garbage */
    for (int i = avr->ioend + 1; i <= avr->ramend; i++) avr->data[i] = (uint8_t)random();
    next_reset_cause = "power";
  } else {
    next_reset_cause = "external";
  }
  avr_reset(avr);
  avr_regbit_set(avr, kind == 2 ? avr->reset_flags.porf : avr->reset_flags.extrf);
}

int main(int argc, char **argv) {
  const char *hex = NULL, *link = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--hex") && i + 1 < argc) hex = argv[++i];
    else if (!strcmp(argv[i], "--link") && i + 1 < argc) link = argv[++i];
    else if (!strcmp(argv[i], "--boot-delay-ms") && i + 1 < argc) boot_delay_ms = (unsigned)strtoul(argv[++i], NULL, 10);
    else {
      fprintf(stderr, "usage: %s --hex FILE [--link PATH] [--boot-delay-ms N]\n", argv[0]);
      return 2;
    }
  }
  if (!hex) {
    fprintf(stderr, "usage: %s --hex FILE [--link PATH]\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  events = fdopen(dup(1), "w");
  dup2(2, 1);
  avr_global_logger_set(quiet_logger);
  avr = avr_make_mcu_by_name("atmega328p");
  if (!avr) {
    fprintf(stderr, "simavr has no atmega328p\n");
    return 2;
  }
  avr_init(avr);
  avr->frequency = 16000000;
  avr->log = LOG_WARNING;

  ihex_chunk_p chunks = NULL;
  int n = read_ihex_chunks(hex, &chunks);
  if (n <= 0) {
    fprintf(stderr, "cannot read %s\n", hex);
    return 2;
  }
  for (int i = 0; i < n; i++)
    if (chunks[i].baseaddr < 0x10000) avr_loadcode(avr, chunks[i].data, chunks[i].size, chunks[i].baseaddr);
  free_ihex_chunks(chunks);

  avr_register_io(avr, &reset_hook);
  for (int i = 0; i < 3; i++) {
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(ports[i].name), IOPORT_IRQ_REG_PORT),
                            on_port_reg, &ports[i]);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(ports[i].name), IOPORT_IRQ_DIRECTION_ALL),
                            on_ddr_reg, &ports[i]);
  }
  uart_in_irq = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), on_uart_out, NULL);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON), on_xon, NULL);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF), on_xoff, NULL);
  avr->sleep = harness_sleep;

  for (int pin = 0; pin < 20; pin++) strcpy(pin_state[pin], "z");
  wall_base_ns = now_ns();
  open_pty(link);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  after_reset();
  emit("{\"ev\":\"reset\",\"cause\":\"power\"");

  unsigned long steps = 0;
  while (!quit) {
    if (hold_until_ns) { /* the bootloader: simulated time follows wall time, the firmware does not run */
      uint64_t s = sim_ns(), w = wall_ns();
      if (s >= hold_until_ns) {
        hold_until_ns = 0;
        emit("{\"ev\":\"boot\"");
      } else {
        if (w > s) {
          uint64_t to = w < hold_until_ns ? w : hold_until_ns;
          avr->cycle += avr_usec_to_cycles(avr, (uint32_t)((to - s) / 1000) + 1);
        }
        service(2000000ull); /* up to 2 ms, less if the host or the test speaks */
        rx_len = rx_head = 0; /* what the host sent went to the bootloader */
        if (want_reset) {
          do_reset(want_reset);
          after_reset();
        }
        continue;
      }
    }
    int state = avr_run(avr);
    if (post_reset) after_reset();
    if (want_reset) {
      do_reset(want_reset);
      after_reset();
    }
    if (state == cpu_Done || state == cpu_Crashed) {
      emit("{\"ev\":\"exit\",\"state\":%d,\"pc\":%u", state, (unsigned)avr->pc);
      break;
    }
    if (++steps >= 4000) { /* busy firmware: serve I/O and keep simulated time from running ahead */
      steps = 0;
      uint64_t s = sim_ns(), w = wall_ns();
      service(s > w + 1000000ull ? s - w : 0);
    }
  }
  flush_tx();
  if (link) unlink(link);
  return 0;
}
