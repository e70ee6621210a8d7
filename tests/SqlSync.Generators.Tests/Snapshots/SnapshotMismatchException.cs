namespace SqlSync.Generators.Tests.Snapshots;

/// <summary>Thrown when text differs from its committed snapshot, or the snapshot is missing.</summary>
public sealed class SnapshotMismatchException : Exception
{
    /// <summary>Creates the exception with a message that says what differs and how to accept it.</summary>
    public SnapshotMismatchException(string message)
        : base(message)
    {
    }
}
