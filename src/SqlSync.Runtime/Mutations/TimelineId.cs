namespace SqlSync.Mutations;

/// <summary>
/// Names one client's timeline: the journal of mutations a local document made. Client-generated, so a
/// document can be created and edited offline; 16 random bytes make collisions practically impossible.
/// </summary>
public readonly record struct TimelineId(Guid Value)
{
    /// <summary>A new random timeline id.</summary>
    public static TimelineId New() => new(Guid.NewGuid());

    /// <summary>Parses the form <see cref="ToString"/> writes.</summary>
    public static TimelineId Parse(string text) => new(Guid.ParseExact(text, "N"));

    /// <inheritdoc />
    public override string ToString() => Value.ToString("N");
}
