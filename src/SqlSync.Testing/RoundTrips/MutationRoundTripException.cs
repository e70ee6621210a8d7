namespace SqlSync.Testing;

/// <summary>Thrown when a mutation record does not survive its binary or JSON round trip, or a record type has no sample.</summary>
public sealed class MutationRoundTripException : Exception
{
    /// <summary>Creates the exception with a message that names the record and the step that failed.</summary>
    public MutationRoundTripException(string message)
        : base(message)
    {
    }
}
