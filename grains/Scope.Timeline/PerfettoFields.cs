namespace Scope.Timeline;

// Field numbers of Perfetto's trace protos (protos/perfetto/trace/...), only those this writer uses.
// tests/Scope.Timeline.Tests/perfetto_trace.proto declares the same subset for protoc to decode with.
internal static class PerfettoFields
{
    public const int TracePacket = 1;

    public const int PacketTimestamp = 8;
    public const int PacketSequenceId = 10;
    public const int PacketTrackEvent = 11;
    public const int PacketInternedData = 12;
    public const int PacketSequenceFlags = 13;
    public const int PacketTrackDescriptor = 60;

    public const uint SeqIncrementalStateCleared = 1;
    public const uint SeqNeedsIncrementalState = 2;

    public const int TrackUuid = 1;
    public const int TrackName = 2;
    public const int TrackProcess = 3;
    public const int TrackThread = 4;
    public const int TrackParentUuid = 5;
    public const int TrackCounter = 8;

    public const int ProcessPid = 1;
    public const int ProcessCmdline = 2;
    public const int ProcessName = 6;

    public const int ThreadPid = 1;
    public const int ThreadTid = 2;
    public const int ThreadName = 5;

    public const int CounterUnit = 3;

    public const int EventDebugAnnotations = 4;
    public const int EventType = 9;
    public const int EventNameIid = 10;
    public const int EventTrackUuid = 11;
    public const int EventCategories = 22;
    public const int EventCounterValue = 30;
    public const int EventDoubleCounterValue = 44;
    public const int EventFlowIds = 47;
    public const int EventTerminatingFlowIds = 48;

    public const int TypeSliceBegin = 1;
    public const int TypeSliceEnd = 2;
    public const int TypeInstant = 3;
    public const int TypeCounter = 4;

    public const int AnnotationBool = 2;
    public const int AnnotationUInt = 3;
    public const int AnnotationInt = 4;
    public const int AnnotationDouble = 5;
    public const int AnnotationString = 6;
    public const int AnnotationName = 10;

    public const int InternedEventNames = 2;
    public const int InternedNameIid = 1;
    public const int InternedNameName = 2;

    // CounterDescriptor.Unit.
    public const int UnitCount = 2;
    public const int UnitSizeBytes = 3;
}
