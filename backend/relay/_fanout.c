/* The relay's hot path in C: read every busy pull's pipe and write each chunk to the stream's viewers.
 *
 * Why: a read-and-send loop in Python costs ~0.4 % of a core more than the same loop in C for 16 cameras at
 * 25 frames/s (the interpreter around ~800 system calls a second; bench/bench_relay.py "floor" rows, measured
 * side by side). The GOP cache, the TS scan, health and everything that is not the steady stream stay in
 * Python (pump.py, channel.py): a stream goes through here only while every viewer keeps up.
 *
 * A Lane knows, per pipe, the descriptors of the viewers to write to and keeps what it read since the last
 * take() (the chunks the tick scans). run() is the pump thread's loop (epoll, reads, writes, the batching
 * sleep) with the GIL released; it returns to Python only for what the lane does not know (the wake pipe, a
 * pull before its first keyframe, EOF), for a viewer that left the lane, and at the pump's quiet-check
 * deadline. A viewer whose socket takes less than a whole chunk (or fails) leaves the lane at once: it is
 * reported with the bytes it did not get, which become its backlog in Python.
 *
 * set(), take(), left() and last() must be called with pump.LOCK held, which holds lane_mutex: they raise
 * RuntimeError otherwise.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* Held by run() while it reads and writes a batch (never with the GIL), and by whoever holds pump.LOCK (which
 * takes it through lock()): so the event loop's changes to what the lane writes (a viewer joining after its
 * GOP burst, one leaving) never fall in the middle of a batch. */
static pthread_mutex_t lane_mutex = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
    int fd;
    long long sent; /* bytes written since the last set() */
} Out;

/* A viewer that left the lane: its socket took less than a whole chunk, or failed. */
typedef struct {
    int fd, err;     /* err: the errno, 0 when the socket was only full */
    long long sent;  /* bytes written since the last set() */
    Py_ssize_t from; /* it did not get the pipe's data from buf[from] on (until left() copies it out) */
    char *unsent;    /* that data, copied at the end of the batch */
    Py_ssize_t unsent_len;
} Left;

typedef struct {
    int pipe;
    Out *outs;
    Py_ssize_t nouts;
    char *buf; /* read since the last take() */
    Py_ssize_t len, cap;
    Left *left; /* viewers that left the lane, until left() hands them to Python */
    Py_ssize_t nleft, capleft;
    int ended; /* during one run(): the read gave EOF or an error (the Python path reads it again) */
    double last; /* when run() last read the pipe (CLOCK_MONOTONIC, as time.monotonic), 0: never */
} Entry;

typedef struct {
    PyObject_HEAD
    Entry **entries;
    Py_ssize_t n, cap;
} Lane;

static Entry *find(Lane *self, int pipe, Py_ssize_t *at) {
    for (Py_ssize_t i = 0; i < self->n; i++) {
        if (self->entries[i]->pipe == pipe) {
            if (at) *at = i;
            return self->entries[i];
        }
    }
    return NULL;
}

static int check_locked(void) {
    if (pthread_mutex_trylock(&lane_mutex) == 0) { /* nobody held it: neither does the caller */
        pthread_mutex_unlock(&lane_mutex);
        PyErr_SetString(PyExc_RuntimeError, "relay lane used without pump.LOCK held");
        return -1;
    }
    return 0;
}

static PyObject *counts(Entry *e) {
    PyObject *d = PyDict_New();
    if (d == NULL) return NULL;
    for (Py_ssize_t k = 0; k < e->nouts; k++) {
        PyObject *key = PyLong_FromLong(e->outs[k].fd), *val = PyLong_FromLongLong(e->outs[k].sent);
        if (key == NULL || val == NULL || PyDict_SetItem(d, key, val) < 0) {
            Py_XDECREF(key);
            Py_XDECREF(val);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(key);
        Py_DECREF(val);
    }
    return d;
}

static void free_entry(Entry *e) {
    for (Py_ssize_t j = 0; j < e->nleft; j++) PyMem_RawFree(e->left[j].unsent);
    PyMem_RawFree(e->left);
    PyMem_RawFree(e->outs);
    PyMem_RawFree(e->buf);
    PyMem_RawFree(e);
}

/* set(pipe, fds): write what ``pipe`` gives to these descriptors (a tuple of ints), or, with None, leave the
 * pipe to the Python path (take() what was read first). Returns {fd: bytes written} since the last set(). */
static PyObject *Lane_set(Lane *self, PyObject *args) {
    int pipe;
    PyObject *fds;
    if (!PyArg_ParseTuple(args, "iO:set", &pipe, &fds) || check_locked() < 0) return NULL;
    Py_ssize_t at = -1;
    Entry *e = find(self, pipe, &at);
    if (fds == Py_None) {
        if (e == NULL) return PyDict_New();
        PyObject *d = counts(e);
        if (d == NULL) return NULL;
        free_entry(e);
        self->entries[at] = self->entries[--self->n];
        return d;
    }
    if (!PyTuple_Check(fds)) {
        PyErr_SetString(PyExc_TypeError, "set(): fds must be a tuple of ints or None");
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(fds);
    Out *outs = PyMem_RawCalloc(n ? n : 1, sizeof(Out));
    if (outs == NULL) return PyErr_NoMemory();
    for (Py_ssize_t k = 0; k < n; k++) {
        long fd = PyLong_AsLong(PyTuple_GET_ITEM(fds, k));
        if (fd == -1 && PyErr_Occurred()) {
            PyMem_RawFree(outs);
            return NULL;
        }
        if (fd < 0) {
            PyMem_RawFree(outs);
            PyErr_SetString(PyExc_ValueError, "set(): a descriptor is negative");
            return NULL;
        }
        outs[k].fd = (int)fd;
    }
    if (e == NULL) {
        if (self->n == self->cap) {
            Py_ssize_t cap = self->cap ? 2 * self->cap : 16;
            Entry **grown = PyMem_RawRealloc(self->entries, cap * sizeof(Entry *));
            if (grown == NULL) {
                PyMem_RawFree(outs);
                return PyErr_NoMemory();
            }
            self->entries = grown;
            self->cap = cap;
        }
        e = PyMem_RawCalloc(1, sizeof(Entry));
        if (e == NULL) {
            PyMem_RawFree(outs);
            return PyErr_NoMemory();
        }
        e->pipe = pipe;
        self->entries[self->n++] = e;
    }
    PyObject *d = counts(e);
    if (d == NULL) {
        PyMem_RawFree(outs);
        return NULL;
    }
    PyMem_RawFree(e->outs);
    e->outs = outs;
    e->nouts = n;
    return d;
}

/* take(pipe) -> bytes: what the lane read from ``pipe`` since the last take() (b"" when none). */
static PyObject *Lane_take(Lane *self, PyObject *args) {
    int pipe;
    if (!PyArg_ParseTuple(args, "i:take", &pipe) || check_locked() < 0) return NULL;
    Entry *e = find(self, pipe, NULL);
    if (e == NULL || e->len == 0) return PyBytes_FromStringAndSize(NULL, 0);
    PyObject *data = PyBytes_FromStringAndSize(e->buf, e->len);
    if (data == NULL) return NULL;
    e->len = 0;
    if (e->cap > (4 << 20)) { /* after a burst (a stall, a big keyframe): do not keep the memory */
        PyMem_RawFree(e->buf);
        e->buf = NULL;
        e->cap = 0;
    }
    return data;
}

/* last(pipe) -> float: when run() last read ``pipe`` (time.monotonic), 0.0 when never or not in the lane.
 * run() hands its reads over only when it returns (up to the quiet-check deadline later): this is the time
 * now. */
static PyObject *Lane_last(Lane *self, PyObject *args) {
    int pipe;
    if (!PyArg_ParseTuple(args, "i:last", &pipe) || check_locked() < 0) return NULL;
    Entry *e = find(self, pipe, NULL);
    return PyFloat_FromDouble(e == NULL ? 0.0 : e->last);
}

/* Grow *arr (of *cap items of ``item`` bytes) to hold at least ``want``; no GIL needed. */
static int reserve(void **arr, Py_ssize_t *cap, Py_ssize_t want, size_t item) {
    if (want <= *cap) return 0;
    Py_ssize_t grown = *cap ? *cap : 16;
    while (grown < want) grown *= 2;
    void *p = PyMem_RawRealloc(*arr, grown * item);
    if (p == NULL) return -1;
    *arr = p;
    *cap = grown;
    return 0;
}

/* Read ``e``'s pipe until it is empty and write each chunk to its viewers; no GIL held, lane_mutex held.
 * Returns -1 when out of memory (what is not read waits in the pipe). */
static int pump_entry(Entry *e, Py_ssize_t size) {
    if (reserve((void **)&e->left, &e->capleft, e->nleft + e->nouts, sizeof(Left)) < 0) return -1;
    Py_ssize_t first_left = e->nleft;
    for (;;) {
        if (e->cap - e->len < size && reserve((void **)&e->buf, &e->cap, e->len + size, 1) < 0) break;
        ssize_t r = read(e->pipe, e->buf + e->len, size);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) break;
        if (r <= 0) {
            e->ended = 1;
            break;
        }
        Py_ssize_t from = e->len;
        const char *chunk = e->buf + from;
        e->len += r;
        for (Py_ssize_t k = 0; k < e->nouts;) {
            Out *o = &e->outs[k];
            ssize_t w = write(o->fd, chunk, r);
            if (w == r) {
                o->sent += w;
                k++;
                continue;
            }
            int err = (w < 0 && errno != EAGAIN && errno != EINTR) ? errno : 0;
            if (w < 0) w = 0;
            e->left[e->nleft++] = (Left){o->fd, err, o->sent + w, from + w, NULL, 0};
            memmove(o, o + 1, (e->nouts - k - 1) * sizeof(Out));
            e->nouts--;
        }
        if (r < size) break;
    }
    int status = 0;
    for (Py_ssize_t j = first_left; j < e->nleft; j++) { /* the chunks after theirs, this batch's, too */
        Left *l = &e->left[j];
        l->unsent_len = e->len - l->from;
        l->unsent = PyMem_RawMalloc(l->unsent_len ? l->unsent_len : 1);
        if (l->unsent == NULL) { /* without its missing bytes the viewer cannot go on: it is dropped */
            l->unsent_len = 0;
            l->err = ENOMEM;
            status = -1;
        } else {
            memcpy(l->unsent, e->buf + l->from, l->unsent_len);
        }
    }
    return status;
}

/* left(pipe) -> [(fd, sent, unsent bytes, errno)]: the viewers that left the lane since the last call. */
static PyObject *Lane_left(Lane *self, PyObject *args) {
    int pipe;
    if (!PyArg_ParseTuple(args, "i:left", &pipe) || check_locked() < 0) return NULL;
    Entry *e = find(self, pipe, NULL);
    PyObject *out = PyList_New(0);
    if (e == NULL || out == NULL) return out;
    for (Py_ssize_t j = 0; j < e->nleft; j++) {
        Left *l = &e->left[j];
        PyObject *item = Py_BuildValue("iLy#i", l->fd, l->sent, l->unsent ? l->unsent : "", l->unsent_len, l->err);
        if (item == NULL || PyList_Append(out, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(item);
    }
    for (Py_ssize_t j = 0; j < e->nleft; j++) PyMem_RawFree(e->left[j].unsent);
    e->nleft = 0;
    return out;
}

static double monotonic(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

typedef struct {
    int fd;
    double when;
} Read;

/* run(epfd, interval, deadline, size) -> (busy, others, pipes, reads)
 *
 * The pump's loop, in C with the GIL released: wait on ``epfd``; read every pipe this lane knows (``size``
 * bytes a read) and write its chunks to its viewers, holding lane_mutex (which pump.LOCK also holds); when
 * two or more pipes had data, sleep until ``interval`` after the batch so that the next one gathers. Returns
 * to Python when something is for it: an event on an fd the lane does not know (the wake pipe, a pull before
 * its first keyframe), a pipe at EOF or failed (to be read again there), a viewer that left the lane, or
 * ``deadline`` (time.monotonic) passed. busy: the pipes the last batch read; others: the (fd, mask) events
 * left to Python; pipes: those with viewers that left the lane (their owner calls left()); reads: {fd: when
 * it was last read} for the pipes this call read, those set() removed meanwhile too (the pump knows whether
 * a descriptor is still its own: it may have been closed, or be the number of a new pipe). */
static PyObject *Lane_run(Lane *self, PyObject *args) {
    int epfd;
    double interval, deadline;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "iddn:run", &epfd, &interval, &deadline, &size)) return NULL;
    if (size <= 0) {
        PyErr_SetString(PyExc_ValueError, "run(): size must be positive");
        return NULL;
    }
    enum { MAXEV = 256 };
    struct epoll_event evs[MAXEV], others[MAXEV];
    int nothers = 0, busy = 0, err = 0, nleft = 0, lefts[MAXEV];
    Read *reads = NULL;
    Py_ssize_t nreads = 0, capreads = 0;

    Py_BEGIN_ALLOW_THREADS
    for (;;) {
        double t = monotonic();
        int timeout = deadline > t ? (int)((deadline - t) * 1000) + 1 : 0;
        int n = epoll_wait(epfd, evs, MAXEV, timeout);
        if (n < 0) {
            if (errno == EINTR) continue;
            err = errno;
            break;
        }
        double last = monotonic();
        busy = 0;
        pthread_mutex_lock(&lane_mutex);
        if (reserve((void **)&reads, &capreads, nreads + n, sizeof(Read)) < 0) err = ENOMEM;
        for (int i = 0; i < n && !err; i++) {
            Entry *e = find(self, evs[i].data.fd, NULL);
            if (e == NULL) {
                others[nothers++] = evs[i];
                continue;
            }
            e->ended = 0;
            Py_ssize_t had_left = e->nleft;
            if (pump_entry(e, size) < 0) err = ENOMEM;
            reads[nreads++] = (Read){e->pipe, last};
            e->last = last;
            busy++;
            if (e->ended) others[nothers++] = evs[i];
            if (e->nleft > had_left) lefts[nleft++] = e->pipe;
        }
        pthread_mutex_unlock(&lane_mutex);
        if (err || nothers || nleft || n == 0 || last >= deadline) break;
        if (busy >= 2 && interval > 0) {
            double d = last + interval - monotonic();
            if (d > 0) {
                struct timespec ts = {(time_t)d, (long)((d - (time_t)d) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
    }
    Py_END_ALLOW_THREADS

    PyObject *result = NULL, *other_list = NULL, *left_list = NULL, *read_dict = PyDict_New();
    if (read_dict == NULL) goto done;
    for (Py_ssize_t j = 0; j < nreads; j++) { /* in order: the last read of a pipe wins */
        PyObject *fd = PyLong_FromLong(reads[j].fd), *when = PyFloat_FromDouble(reads[j].when);
        int bad = fd == NULL || when == NULL || PyDict_SetItem(read_dict, fd, when) < 0;
        Py_XDECREF(fd);
        Py_XDECREF(when);
        if (bad) goto done;
    }
    if (err) {
        errno = err;
        PyErr_SetFromErrno(err == ENOMEM ? PyExc_MemoryError : PyExc_OSError);
        goto done;
    }
    other_list = PyList_New(nothers);
    left_list = PyList_New(nleft);
    if (other_list == NULL || left_list == NULL) goto done;
    for (int j = 0; j < nothers; j++) {
        PyObject *ev = Py_BuildValue("(iI)", others[j].data.fd, others[j].events);
        if (ev == NULL) goto done;
        PyList_SET_ITEM(other_list, j, ev);
    }
    for (int j = 0; j < nleft; j++) {
        PyObject *fd = PyLong_FromLong(lefts[j]);
        if (fd == NULL) goto done;
        PyList_SET_ITEM(left_list, j, fd);
    }
    result = Py_BuildValue("iOOO", busy, other_list, left_list, read_dict);
done:
    Py_XDECREF(other_list);
    Py_XDECREF(left_list);
    Py_XDECREF(read_dict);
    PyMem_RawFree(reads);
    return result;
}

static PyObject *Lane_pipes(Lane *self, PyObject *Py_UNUSED(ignored)) {
    PyObject *out = PyList_New(self->n);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < self->n; i++) {
        PyObject *v = PyLong_FromLong(self->entries[i]->pipe);
        if (v == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, v);
    }
    return out;
}

static void Lane_dealloc(Lane *self) {
    for (Py_ssize_t i = 0; i < self->n; i++) free_entry(self->entries[i]);
    PyMem_RawFree(self->entries);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Lane_methods[] = {
    {"set", (PyCFunction)Lane_set, METH_VARARGS,
     "set(pipe, fds) -> {fd: bytes written}: write what pipe gives to fds (None: leave it to Python)"},
    {"take", (PyCFunction)Lane_take, METH_VARARGS, "take(pipe) -> bytes read from pipe since the last take"},
    {"last", (PyCFunction)Lane_last, METH_VARARGS, "last(pipe) -> when run() last read pipe (monotonic), 0.0: never"},
    {"run", (PyCFunction)Lane_run, METH_VARARGS,
     "run(epfd, interval, deadline, size) -> (busy, other events, pipes with viewers that left, {fd: last read})"},
    {"left", (PyCFunction)Lane_left, METH_VARARGS,
     "left(pipe) -> [(fd, sent, unsent, errno)]: viewers that left the lane since the last call"},
    {"pipes", (PyCFunction)Lane_pipes, METH_NOARGS, "pipes() -> the pipes in the lane"},
    {NULL, NULL, 0, NULL},
};

static PyObject *fanout_lock(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored)) {
    if (pthread_mutex_trylock(&lane_mutex) != 0) {
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&lane_mutex);
        Py_END_ALLOW_THREADS
    }
    Py_RETURN_NONE;
}

static PyObject *fanout_unlock(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored)) {
    pthread_mutex_unlock(&lane_mutex);
    Py_RETURN_NONE;
}

static PyMethodDef fanout_functions[] = {
    {"lock", fanout_lock, METH_NOARGS, "lock(): take the lanes' mutex (pump.LOCK does; waits without the GIL)"},
    {"unlock", fanout_unlock, METH_NOARGS, "unlock(): release it (by the thread that took it)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject LaneType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "backend.relay._fanout.Lane",
    .tp_basicsize = sizeof(Lane),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The relay's hot path: pipes read and written to their viewers' descriptors in C.",
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)Lane_dealloc,
    .tp_methods = Lane_methods,
};

static struct PyModuleDef fanout_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_fanout",
    .m_doc = "The camera relay's hot path in C (see Lane).",
    .m_size = -1,
    .m_methods = fanout_functions,
};

PyMODINIT_FUNC PyInit__fanout(void) {
    if (PyType_Ready(&LaneType) < 0) return NULL;
    PyObject *m = PyModule_Create(&fanout_module);
    if (m == NULL) return NULL;
    Py_INCREF(&LaneType);
    if (PyModule_AddObject(m, "Lane", (PyObject *)&LaneType) < 0) {
        Py_DECREF(&LaneType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
