using SqlSync.Journals;

namespace SqlSync.Documents;

/// <summary>Tells what changed a local document.</summary>
public sealed class DocumentChangedEventArgs : EventArgs
{
    /// <summary>Creates the arguments.</summary>
    internal DocumentChangedEventArgs(DocumentChange kind, LsnRange storageRange, int pendingMutations)
    {
        Kind = kind;
        StorageRange = storageRange;
        PendingMutations = pendingMutations;
    }

    /// <summary>What happened.</summary>
    public DocumentChange Kind { get; }

    /// <summary>The coordinator storage the document holds after the change.</summary>
    public LsnRange StorageRange { get; }

    /// <summary>Local mutations the coordinator has not applied yet, after the change.</summary>
    public int PendingMutations { get; }
}
