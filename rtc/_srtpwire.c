/* SRTP protect and send, SRTP unprotect: one C call per packet (rtc/srtpwire.py).
 *
 * The forwarder's copies are protected with the DTLS transport's own pylibsrtp session (the
 * same libsrtp context, reached through the pointers rtc/srtpwire.py takes from pylibsrtp's
 * cffi binding once) and sent with one sendto(2) on the ICE pair's socket. Through pylibsrtp
 * and the event loop's datagram transport the same packet cost a cffi call, two buffer copies,
 * two allocations and an address conversion on every copy.
 *
 * The GIL is held throughout (nothing here blocks: the socket is non-blocking), so one static
 * buffer serves every call. Nothing is kept between calls but the two function pointers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

/* libsrtp 2: srtp_err_status_t srtp_protect(srtp_t ctx, void *rtp_hdr, int *len_ptr) */
typedef int (*srtp_fn)(void *ctx, void *packet, int *len);

#define TRAILER 144 /* SRTP_MAX_TRAILER_LEN: the longest tag and MKI libsrtp 2 appends */
#define BUFFER 2048

static srtp_fn protect_fn = NULL;
static srtp_fn unprotect_fn = NULL;
static unsigned char buffer[BUFFER];

static PyObject *protect_and_send(void *session, long fd, PyObject *address, int length);

static void *as_pointer(PyObject *value) {
    return PyLong_AsVoidPtr(value);
}

static PyObject *wire_bind(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "bind(protect, unprotect) takes two addresses");
        return NULL;
    }
    void *protect = as_pointer(args[0]);
    void *unprotect = as_pointer(args[1]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (protect == NULL || unprotect == NULL) {
        PyErr_SetString(PyExc_ValueError, "a null function address");
        return NULL;
    }
    protect_fn = (srtp_fn)protect;
    unprotect_fn = (srtp_fn)unprotect;
    Py_RETURN_NONE;
}

/* send(session, fd, address, packet) -> the SRTP length sent, or -errno if sendto failed. */
static PyObject *wire_send(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "send(session, fd, address, packet)");
        return NULL;
    }
    if (protect_fn == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "not bound to libsrtp");
        return NULL;
    }
    void *session = as_pointer(args[0]);
    long fd = PyLong_AsLong(args[1]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (session == NULL) {
        PyErr_SetString(PyExc_ValueError, "a null session");
        return NULL;
    }
    if (!PyBytes_Check(args[2]) || !PyBytes_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "address and packet are bytes");
        return NULL;
    }
    Py_ssize_t size = PyBytes_GET_SIZE(args[3]);
    if (size < 12 || size > BUFFER - TRAILER) {
        PyErr_SetString(PyExc_ValueError, "packet too short or too long");
        return NULL;
    }
    memcpy(buffer, PyBytes_AS_STRING(args[3]), (size_t)size);
    return protect_and_send(session, fd, args[2], (int)size);
}

/* Protect what is in the buffer and send it; the SRTP length, or -errno if sendto failed. */
static PyObject *protect_and_send(void *session, long fd, PyObject *address, int length) {
    int status = protect_fn(session, buffer, &length);
    if (status != 0) {
        return PyErr_Format(PyExc_RuntimeError, "srtp_protect failed: %d", status);
    }
    ssize_t sent = sendto((int)fd, buffer, (size_t)length, MSG_DONTWAIT,
                          (const struct sockaddr *)PyBytes_AS_STRING(address),
                          (socklen_t)PyBytes_GET_SIZE(address));
    return PyLong_FromLong(sent < 0 ? -errno : length);
}

/* The items of a sink's wire (rtc/forwarder.py, Forwarder._route). */
enum { W_SRTP = 3, W_FD, W_ADDRESS, W_RING, W_TYPE, W_SSRC, W_MID, W_ABS, W_LEVEL, W_ITEMS };

/* forward(wire, marker, seq, timestamp, payload, abs_send_time, level) -> as send().
 * Writes the RTP packet as rtc/rtpwire.py's packet() does (abs_send_time and level: -1 for
 * none; level is RFC 6464's byte), keeps it in the wire's ring at seq, protects and sends it. */
static PyObject *wire_forward(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 7 || !PyTuple_Check(args[0]) || PyTuple_GET_SIZE(args[0]) < W_ITEMS) {
        PyErr_SetString(PyExc_TypeError,
                        "forward(wire, marker, seq, timestamp, payload, abs_send_time, level)");
        return NULL;
    }
    if (protect_fn == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "not bound to libsrtp");
        return NULL;
    }
    PyObject *wire = args[0];
    void *session = as_pointer(PyTuple_GET_ITEM(wire, W_SRTP));
    long fd = PyLong_AsLong(PyTuple_GET_ITEM(wire, W_FD));
    long payload_type = PyLong_AsLong(PyTuple_GET_ITEM(wire, W_TYPE));
    unsigned long ssrc = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(wire, W_SSRC));
    long abs_id = PyLong_AsLong(PyTuple_GET_ITEM(wire, W_ABS));
    long level_id = PyLong_AsLong(PyTuple_GET_ITEM(wire, W_LEVEL));
    long marker = PyLong_AsLong(args[1]);
    long seq = PyLong_AsLong(args[2]);
    unsigned long timestamp = PyLong_AsUnsignedLong(args[3]);
    long abs_send_time = PyLong_AsLong(args[5]);
    long level = PyLong_AsLong(args[6]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    PyObject *address = PyTuple_GET_ITEM(wire, W_ADDRESS);
    PyObject *ring = PyTuple_GET_ITEM(wire, W_RING);
    PyObject *mid = PyTuple_GET_ITEM(wire, W_MID);
    PyObject *payload = args[4];
    if (session == NULL || !PyBytes_Check(address) || !PyList_Check(ring)
        || PyList_GET_SIZE(ring) == 0 || !PyBytes_Check(mid) || PyBytes_GET_SIZE(mid) > 17
        || !PyBytes_Check(payload)) {
        PyErr_SetString(PyExc_TypeError, "not a wire");
        return NULL;
    }
    unsigned char ext[32];
    size_t ext_length = (size_t)PyBytes_GET_SIZE(mid);
    memcpy(ext, PyBytes_AS_STRING(mid), ext_length);
    if (abs_send_time >= 0 && abs_id > 0) {
        ext[ext_length++] = (unsigned char)((abs_id << 4) | 2);
        ext[ext_length++] = (unsigned char)(abs_send_time >> 16);
        ext[ext_length++] = (unsigned char)(abs_send_time >> 8);
        ext[ext_length++] = (unsigned char)abs_send_time;
    }
    if (level >= 0 && level_id > 0) {
        ext[ext_length++] = (unsigned char)(level_id << 4);
        ext[ext_length++] = (unsigned char)level;
    }
    while (ext_length & 3) {
        ext[ext_length++] = 0;
    }
    size_t header = 12 + (ext_length ? 4 + ext_length : 0);
    Py_ssize_t size = PyBytes_GET_SIZE(payload);
    if ((size_t)size + header > BUFFER - TRAILER) {
        PyErr_SetString(PyExc_ValueError, "packet too long");
        return NULL;
    }
    PyObject *plain = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)header + size);
    if (plain == NULL) {
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(plain);
    out[0] = ext_length ? 0x90 : 0x80;
    out[1] = (unsigned char)(((marker ? 1 : 0) << 7) | (payload_type & 0x7F));
    out[2] = (unsigned char)(seq >> 8);
    out[3] = (unsigned char)seq;
    out[4] = (unsigned char)(timestamp >> 24);
    out[5] = (unsigned char)(timestamp >> 16);
    out[6] = (unsigned char)(timestamp >> 8);
    out[7] = (unsigned char)timestamp;
    out[8] = (unsigned char)(ssrc >> 24);
    out[9] = (unsigned char)(ssrc >> 16);
    out[10] = (unsigned char)(ssrc >> 8);
    out[11] = (unsigned char)ssrc;
    if (ext_length) {
        out[12] = 0xBE;
        out[13] = 0xDE;
        out[14] = (unsigned char)((ext_length >> 2) >> 8);
        out[15] = (unsigned char)(ext_length >> 2);
        memcpy(out + 16, ext, ext_length);
    }
    memcpy(out + header, PyBytes_AS_STRING(payload), (size_t)size);
    memcpy(buffer, out, header + (size_t)size);
    /* the ring takes the packet (a NACK is answered from it) */
    if (PyList_SetItem(ring, (Py_ssize_t)(seq % PyList_GET_SIZE(ring)), plain) < 0) {
        return NULL;
    }
    return protect_and_send(session, fd, address, (int)(header + (size_t)size));
}

/* unprotect(session, packet) -> the RTP packet, or None if it does not authenticate. */
static PyObject *wire_unprotect(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "unprotect(session, packet)");
        return NULL;
    }
    if (unprotect_fn == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "not bound to libsrtp");
        return NULL;
    }
    void *session = as_pointer(args[0]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (session == NULL || !PyBytes_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "unprotect(session, packet: bytes)");
        return NULL;
    }
    Py_ssize_t size = PyBytes_GET_SIZE(args[1]);
    if (size < 12 || size > BUFFER) {
        Py_RETURN_NONE;
    }
    memcpy(buffer, PyBytes_AS_STRING(args[1]), (size_t)size);
    int length = (int)size;
    if (unprotect_fn(session, buffer, &length) != 0 || length < 12 || length > size) {
        Py_RETURN_NONE;
    }
    return PyBytes_FromStringAndSize((const char *)buffer, length);
}

/* sockaddr(host, port) -> the struct sockaddr of a numeric address, as bytes. */
static PyObject *wire_sockaddr(PyObject *self, PyObject *args) {
    const char *host;
    int port;
    if (!PyArg_ParseTuple(args, "si", &host, &port)) {
        return NULL;
    }
    if (port < 0 || port > 65535) {
        PyErr_SetString(PyExc_ValueError, "port out of range");
        return NULL;
    }
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints, *found = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_DGRAM;
    int rc = getaddrinfo(host, service, &hints, &found);
    if (rc != 0 || found == NULL) {
        return PyErr_Format(PyExc_ValueError, "not a numeric address: %s", gai_strerror(rc));
    }
    PyObject *result = PyBytes_FromStringAndSize((const char *)found->ai_addr,
                                                 (Py_ssize_t)found->ai_addrlen);
    freeaddrinfo(found);
    return result;
}

static PyMethodDef methods[] = {
    {"bind", (PyCFunction)(void (*)(void))wire_bind, METH_FASTCALL,
     "bind(protect, unprotect): libsrtp's srtp_protect and srtp_unprotect, by address."},
    {"send", (PyCFunction)(void (*)(void))wire_send, METH_FASTCALL,
     "send(session, fd, address, packet) -> SRTP length sent, or -errno."},
    {"forward", (PyCFunction)(void (*)(void))wire_forward, METH_FASTCALL,
     "forward(wire, marker, seq, timestamp, payload, abs_send_time, level) -> as send()."},
    {"unprotect", (PyCFunction)(void (*)(void))wire_unprotect, METH_FASTCALL,
     "unprotect(session, packet) -> RTP bytes, or None."},
    {"sockaddr", wire_sockaddr, METH_VARARGS, "sockaddr(host, port) -> struct sockaddr as bytes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_srtpwire", "SRTP protect and send in one call.", -1, methods,
};

PyMODINIT_FUNC PyInit__srtpwire(void) {
    return PyModule_Create(&module);
}
