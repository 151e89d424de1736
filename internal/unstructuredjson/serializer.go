package unstructuredjson

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// NegotiatedSerializer serves application/json for a REST client of
// unstructured objects: objects, lists and Status errors are decoded by
// this package, watch streams framed and read by it; encoding is the
// unstructured scheme's.
type NegotiatedSerializer struct {
	// DropBookkeeping leaves metadata.managedFields and kubectl's
	// last-applied-configuration annotation out of the objects read (for
	// a cache that strips them anyway, StripBookkeeping: they are never
	// built).
	DropBookkeeping bool
	// Share, with DropBookkeeping, shares the small subtrees of the spec
	// of every object read with the objects read before (see Subtrees):
	// for an informer cache, whose objects nobody changes.
	Share *Subtrees
}

var _ runtime.NegotiatedSerializer = NegotiatedSerializer{}

// SupportedMediaTypes returns application/json only.
func (n NegotiatedSerializer) SupportedMediaTypes() []runtime.SerializerInfo {
	return []runtime.SerializerInfo{{
		MediaType: "application/json", MediaTypeType: "application", MediaTypeSubType: "json",
		EncodesAsText: true,
		Serializer:    objectSerializer{dropBookkeeping: n.DropBookkeeping, share: n.Share},
		StreamSerializer: &runtime.StreamSerializerInfo{
			EncodesAsText: true,
			Serializer:    eventSerializer{},
			Framer:        framer{},
		},
	}}
}

// EncoderForVersion returns the encoder unchanged: unstructured objects
// carry their version.
func (NegotiatedSerializer) EncoderForVersion(e runtime.Encoder, _ runtime.GroupVersioner) runtime.Encoder {
	return e
}

// DecoderToVersion returns the decoder unchanged.
func (NegotiatedSerializer) DecoderToVersion(d runtime.Decoder, _ runtime.GroupVersioner) runtime.Decoder {
	return d
}

// objectSerializer decodes objects, lists and Status.
type objectSerializer struct {
	dropBookkeeping bool
	share           *Subtrees
}

func (s objectSerializer) Decode(data []byte, _ *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, err := decodeInto(data, into, s.dropBookkeeping, s.share)
	if err != nil {
		return nil, nil, err
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	if gvk.Kind == "" {
		return nil, &gvk, runtime.NewMissingKindErr(string(data))
	}
	return obj, &gvk, nil
}

func (objectSerializer) Encode(obj runtime.Object, w io.Writer) error {
	return unstructured.UnstructuredJSONScheme.Encode(obj, w)
}

func (objectSerializer) Identifier() runtime.Identifier { return "ackguard-unstructuredjson" }

// eventSerializer reads a watch event's frame: its type, and its object
// kept raw for the object decoder (client-go decodes it at once, before
// the next frame is read).
type eventSerializer struct{}

func (eventSerializer) Decode(data []byte, _ *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	ev, ok := into.(*metav1.WatchEvent)
	if !ok {
		return nil, nil, fmt.Errorf("a watch event decodes into a *v1.WatchEvent, not %T", into)
	}
	typ, obj, err := ReadEvent(data)
	if err != nil {
		return nil, nil, err
	}
	ev.Type, ev.Object = typ, runtime.RawExtension{Raw: obj}
	gvk := metav1.SchemeGroupVersion.WithKind("WatchEvent")
	return ev, &gvk, nil
}

func (eventSerializer) Encode(runtime.Object, io.Writer) error {
	return errors.New("unstructuredjson: watch events are only read")
}

func (eventSerializer) Identifier() runtime.Identifier { return "ackguard-unstructuredjson-watch" }

// ReadEvent reads a watch event frame: {"type": …, "object": {…}}. The
// object aliases data.
func ReadEvent(data []byte) (typ string, object []byte, err error) {
	ev, err := withDecoder(data, func(dec *jsontext.Decoder) (event, error) { return readEvent(dec, data) })
	return ev.typ, ev.object, err
}

type event struct {
	typ    string
	object []byte
}

func readEvent(dec *jsontext.Decoder, data []byte) (ev event, err error) {
	if k := dec.PeekKind(); k != '{' {
		if k == 0 {
			_, err = dec.ReadToken()
			return ev, err
		}
		return ev, fmt.Errorf("a watch event is a JSON object, not %s", kindName(k))
	}
	if _, err := dec.ReadToken(); err != nil {
		return ev, err
	}
	for dec.PeekKind() != '}' {
		name, err := readString(dec)
		if err != nil {
			return ev, err
		}
		switch name {
		case "type":
			if ev.typ, err = readString(dec); err != nil {
				return ev, err
			}
		case "object":
			start := dec.InputOffset()
			if err := dec.SkipValue(); err != nil {
				return ev, err
			}
			ev.object = trimSpace(data[start:dec.InputOffset()])
		default:
			if err := dec.SkipValue(); err != nil {
				return ev, err
			}
		}
	}
	_, err = dec.ReadToken()
	return ev, err
}

// trimSpace drops what InputOffset leaves before a member's value: the
// whitespace around the name separator and the separator itself.
func trimSpace(b []byte) []byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	b = bytes.TrimPrefix(b, []byte(":"))
	return bytes.TrimSpace(b)
}

// framer splits a watch stream into its JSON values, each read once by
// jsontext (which only checks it) instead of by encoding/json.
type framer struct{}

func (framer) NewFrameReader(r io.ReadCloser) io.ReadCloser {
	er := &errReader{r: r}
	return &frameReader{src: r, er: er, dec: jsontext.NewDecoder(er, decoderOptions...)}
}

func (framer) NewFrameWriter(w io.Writer) io.Writer { return w }

// frameReader returns one JSON value per Read, continuing a value larger
// than the buffer with io.ErrShortBuffer as client-go's JSON framer does.
type frameReader struct {
	src       io.ReadCloser
	er        *errReader
	dec       *jsontext.Decoder
	remaining []byte
}

func (f *frameReader) Read(p []byte) (int, error) {
	if len(f.remaining) == 0 {
		v, err := f.dec.ReadValue()
		if err != nil {
			return 0, f.streamError(err)
		}
		f.remaining = v
	}
	n := copy(p, f.remaining)
	f.remaining = f.remaining[n:]
	if len(f.remaining) > 0 {
		return n, io.ErrShortBuffer
	}
	f.remaining = nil
	return n, nil
}

// streamError gives client-go's watch the errors it tells apart by
// identity: io.EOF at the end of the stream, io.ErrUnexpectedEOF inside a
// value, and the transport's own error (a reset, a timeout) as it came.
func (f *frameReader) streamError(err error) error {
	if f.er.err != nil && f.er.err != io.EOF {
		return f.er.err
	}
	switch {
	case err == io.EOF:
		return io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return io.ErrUnexpectedEOF
	}
	return err
}

func (f *frameReader) Close() error { return f.src.Close() }

// errReader remembers the last error of the reader it wraps.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
