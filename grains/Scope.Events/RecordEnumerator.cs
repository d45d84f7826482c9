using System.Buffers.Binary;

namespace Scope.Events;

/// <summary>
/// Walks the records of a payload without copying or allocating (<c>foreach</c> works on it). A known
/// type must have exactly its fixed size; a type this version does not know is skipped by its size
/// field and counted in <see cref="UnknownRecords"/>, so newer collectors can add types. The walk stops
/// at the first malformed record, with <see cref="Error"/> set to <see cref="BatchRejectReason.BadRecord"/>.
/// A payload that <see cref="BatchReader.TryParse(ReadOnlySpan{byte}, out BatchHeader, out ReadOnlySpan{byte})"/>
/// accepted walks to its end without error.
/// </summary>
/// <remarks>
/// <c>foreach</c> walks a copy (this is a struct), so to read <see cref="Error"/> or
/// <see cref="UnknownRecords"/> afterwards, loop with <c>while (records.MoveNext())</c> instead.
/// </remarks>
public ref struct RecordEnumerator
{
    private ReadOnlySpan<byte> _rest;
    private Record _current;

    /// <summary>Starts before the first record of <paramref name="payload"/>.</summary>
    public RecordEnumerator(ReadOnlySpan<byte> payload)
    {
        _rest = payload;
        _current = default;
        Error = BatchRejectReason.None;
        UnknownRecords = 0;
    }

    /// <summary>The record <see cref="MoveNext"/> moved to.</summary>
    public readonly Record Current => _current;

    /// <summary><see cref="BatchRejectReason.BadRecord"/> when the walk stopped at a malformed record, else None.</summary>
    public BatchRejectReason Error { get; private set; }

    /// <summary>Records skipped so far because their type is unknown to this version.</summary>
    public int UnknownRecords { get; private set; }

    /// <summary>For <c>foreach</c>: a copy of this enumerator, which the loop advances.</summary>
    public readonly RecordEnumerator GetEnumerator() => this;

    /// <summary>Moves to the next record of a known type; false at the end or at a malformed record.</summary>
    public bool MoveNext()
    {
        while (!_rest.IsEmpty)
        {
            if (_rest.Length < Wire.EventHeaderSize)
            {
                return Fail();
            }

            // Read type and size before trusting anything else: they say how much of the payload is this record.
            var type = (RecordType)BinaryPrimitives.ReadUInt16LittleEndian(_rest);
            int size = BinaryPrimitives.ReadUInt16LittleEndian(_rest[2..]);
            int expected = Wire.RecordSize(type);
            if (expected == 0)
            {
                if (size < Wire.EventHeaderSize || size > _rest.Length)
                {
                    return Fail();
                }

                UnknownRecords++;
                _rest = _rest[size..];
                continue;
            }

            if (size != expected || size > _rest.Length)
            {
                return Fail();
            }

            _current = new Record(type, _rest[..size]);
            _rest = _rest[size..];
            return true;
        }

        _current = default;
        return false;
    }

    private bool Fail()
    {
        Error = BatchRejectReason.BadRecord;
        _rest = default;
        _current = default;
        return false;
    }
}
