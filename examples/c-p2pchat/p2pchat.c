/*
 * p2pchat: a peer-to-peer chat written the way the classic systems-course assignment asks.
 *
 *   ./p2pchat <username> [<peer-host> <peer-port> ...]
 *
 * It listens on a TCP port the OS picks and prints "listening on port N", connects to each peer
 * given, sends every stdin line to all its neighbours and prints every received message as
 * "username: text". A received message is forwarded to every neighbour except the one it came
 * from. One frame is one line, "username<TAB>text<LF>" (README.md).
 *
 * The assignment's weaknesses are kept on purpose, for the lab to show (README.md): SIGPIPE is not
 * ignored, messages carry no id (a cycle loops forever), writes block, nothing reconnects, and
 * nothing notices a neighbour that has gone silent.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_NEIGHBOURS 32
/* Room for every lab peer name ([A-Za-z0-9][A-Za-z0-9_.-]{0,63}). */
#define MAX_USERNAME 64
/* One frame or one stdin line, newline included; longer ones are dropped. */
#define MAX_LINE 16384
/* "host:port" as shown in messages: a DNS name (at most 253 characters) and a port. */
#define MAX_ADDR 264

/* A byte stream read line by line: stdin or one neighbour's socket. */
struct conn {
    int fd;
    char addr[MAX_ADDR];
    char buf[MAX_LINE];
    size_t len;
    int skipping; /* inside a line that overflowed buf: drop bytes up to its newline */
};

static const char *username;
static struct conn neighbours[MAX_NEIGHBOURS];
static int n_neighbours;
static struct conn input = {.fd = STDIN_FILENO, .addr = "stdin"};

static void usage(const char *prog)
{
    fprintf(stderr, "usage: %s <username> [<peer-host> <peer-port> ...]\n", prog);
    exit(2);
}

/* The username goes into every frame and every printed line: no TAB, no newline, no ':'. */
static int valid_username(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > MAX_USERNAME)
        return 0;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ':')
            return 0;
    return 1;
}

static int listen_any_port(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("socket");
        exit(1);
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(0), .sin_addr.s_addr = htonl(INADDR_ANY)};
    socklen_t addr_len = sizeof addr;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &addr_len) < 0) {
        perror("listen");
        exit(1);
    }
    *port = ntohs(addr.sin_port);
    return fd;
}

static void add_neighbour(int fd, const char *addr)
{
    struct conn *c = &neighbours[n_neighbours++];
    c->fd = fd;
    snprintf(c->addr, sizeof c->addr, "%s", addr);
    c->len = 0;
    c->skipping = 0;
}

/* No retry: the peer must already be listening, as in the assignment. */
static void connect_to(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *found;
    int rc = getaddrinfo(host, port, &hints, &found);
    if (rc != 0) {
        fprintf(stderr, "cannot resolve %s: %s\n", host, gai_strerror(rc));
        exit(1);
    }
    int fd = -1;
    for (struct addrinfo *ai = found; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    if (fd < 0) {
        fprintf(stderr, "cannot connect to %s:%s: %s\n", host, port, strerror(errno));
        exit(1);
    }
    char addr[MAX_ADDR];
    snprintf(addr, sizeof addr, "%s:%s", host, port);
    add_neighbour(fd, addr);
    fprintf(stderr, "connected to %s\n", addr);
}

static void accept_neighbour(int listener)
{
    struct sockaddr_storage from;
    socklen_t from_len = sizeof from;
    int fd = accept(listener, (struct sockaddr *)&from, &from_len);
    if (fd < 0) {
        perror("accept");
        return;
    }
    char host[INET6_ADDRSTRLEN], serv[8], addr[MAX_ADDR];
    if (getnameinfo((struct sockaddr *)&from, from_len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        strcpy(host, "?");
        strcpy(serv, "?");
    }
    snprintf(addr, sizeof addr, "%s:%s", host, serv);
    if (n_neighbours == MAX_NEIGHBOURS) {
        fprintf(stderr, "too many neighbours, refused %s\n", addr);
        close(fd);
        return;
    }
    add_neighbour(fd, addr);
    fprintf(stderr, "accepted connection from %s\n", addr);
}

/*
 * A blocking write of the whole frame. SIGPIPE keeps its default action, so writing to a neighbour
 * that has gone, before its close has been read, kills the process (README.md): after a normal
 * close the first write is lost silently and the second raises SIGPIPE; after a reset the first
 * fails with ECONNRESET, reported here, and the second raises SIGPIPE. A failed write leaves the
 * neighbour in place: it goes when its socket reads as closed.
 */
static void send_frame(struct conn *to, const char *frame, size_t len)
{
    while (len > 0) {
        ssize_t n = write(to->fd, frame, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "write to %s: %s\n", to->addr, strerror(errno));
            return;
        }
        frame += n;
        len -= (size_t)n;
    }
}

/* Tree-mode flooding: everyone but the neighbour it came from (NULL for our own lines). */
static void flood(const char *frame, size_t len, const struct conn *except)
{
    for (int i = 0; i < n_neighbours; i++)
        if (&neighbours[i] != except && neighbours[i].fd >= 0)
            send_frame(&neighbours[i], frame, len);
}

static void handle_stdin_line(struct conn *in, char *line, size_t len)
{
    (void)in;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return;
    /* A frame the neighbours would drop as too long is not sent at all. */
    char frame[MAX_LINE];
    if (strlen(username) + 1 + len + 1 > sizeof frame) {
        fprintf(stderr, "line too long for a frame (%zu bytes), not sent\n", len);
        return;
    }
    int live = 0;
    for (int i = 0; i < n_neighbours; i++)
        live += neighbours[i].fd >= 0;
    if (live == 0) {
        fprintf(stderr, "no neighbours: message not sent\n");
        return;
    }
    int n = snprintf(frame, sizeof frame, "%s\t%.*s\n", username, (int)len, line);
    flood(frame, (size_t)n, NULL);
}

/* line excludes its newline, which is still in the buffer right after it. */
static void handle_frame(struct conn *from, char *line, size_t len)
{
    char *tab = memchr(line, '\t', len);
    if (tab == NULL || tab == line) {
        fprintf(stderr, "bad frame from %s (no username), dropped\n", from->addr);
        return;
    }
    fwrite(line, 1, (size_t)(tab - line), stdout);
    fputs(": ", stdout);
    fwrite(tab + 1, 1, len - (size_t)(tab - line) - 1, stdout);
    putchar('\n');
    flood(line, len + 1, from);
}

static void close_conn(struct conn *c, const char *why)
{
    close(c->fd);
    c->fd = -1;
    int left = 0;
    for (int i = 0; i < n_neighbours; i++)
        left += neighbours[i].fd >= 0;
    fprintf(stderr, "lost neighbour %s: %s (%d left)\n", c->addr, why, left);
}

/* Reads what is there and handles each complete line; returns read()'s result (0 at the end). */
static ssize_t read_lines(struct conn *c, void (*handle)(struct conn *, char *, size_t))
{
    ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
    if (n < 0 && errno == EINTR)
        return 1;
    if (n <= 0)
        return n;
    c->len += (size_t)n;
    size_t start = 0;
    char *nl;
    while ((nl = memchr(c->buf + start, '\n', c->len - start)) != NULL) {
        size_t line_len = (size_t)(nl - (c->buf + start));
        if (!c->skipping)
            handle(c, c->buf + start, line_len);
        c->skipping = 0;
        start += line_len + 1;
    }
    memmove(c->buf, c->buf + start, c->len - start);
    c->len -= start;
    if (c->len == sizeof c->buf) {
        if (!c->skipping)
            fprintf(stderr, "line from %s longer than %d bytes, dropped\n", c->addr, MAX_LINE - 1);
        c->len = 0;
        c->skipping = 1;
    }
    return n;
}

/* Drops closed neighbours from the table once a poll round is over. */
static void compact_neighbours(void)
{
    int kept = 0;
    for (int i = 0; i < n_neighbours; i++)
        if (neighbours[i].fd >= 0) {
            if (kept != i)
                neighbours[kept] = neighbours[i];
            kept++;
        }
    n_neighbours = kept;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc % 2 != 0)
        usage(argv[0]);
    username = argv[1];
    if (!valid_username(username)) {
        fprintf(stderr, "invalid username \"%s\": 1-%d characters, no control characters or ':'\n",
                username, MAX_USERNAME);
        exit(2);
    }
    if ((argc - 2) / 2 > MAX_NEIGHBOURS) {
        fprintf(stderr, "at most %d peers\n", MAX_NEIGHBOURS);
        exit(2);
    }
    /* stdout is often a pipe (the lab, a test): flush every line, not every 4 KiB. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    int port;
    int listener = listen_any_port(&port);
    printf("listening on port %d\n", port);
    for (int i = 2; i + 1 < argc; i += 2)
        connect_to(argv[i], argv[i + 1]);

    int stdin_open = 1;
    struct pollfd fds[2 + MAX_NEIGHBOURS];
    for (;;) {
        int polled = n_neighbours;
        fds[0] = (struct pollfd){.fd = listener, .events = POLLIN};
        /* A negative fd is skipped by poll: stdin at EOF stays out, and forwarding goes on. */
        fds[1] = (struct pollfd){.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN};
        for (int i = 0; i < polled; i++)
            fds[2 + i] = (struct pollfd){.fd = neighbours[i].fd, .events = POLLIN};
        if (poll(fds, (nfds_t)(2 + polled), -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("poll");
            exit(1);
        }
        if (fds[0].revents & POLLIN)
            accept_neighbour(listener);
        if (fds[1].revents && read_lines(&input, handle_stdin_line) <= 0) {
            stdin_open = 0;
            fprintf(stderr, "stdin closed; still forwarding\n");
        }
        for (int i = 0; i < polled; i++) {
            if (fds[2 + i].revents == 0)
                continue;
            ssize_t n = read_lines(&neighbours[i], handle_frame);
            if (n == 0)
                close_conn(&neighbours[i], "closed the connection");
            else if (n < 0)
                close_conn(&neighbours[i], strerror(errno));
        }
        compact_neighbours();
    }
}
