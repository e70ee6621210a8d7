namespace SqlSync.Orleans;

/// <summary>A document grain's answer: an outcome and the frames to send to the client, in order.</summary>
[GenerateSerializer]
internal sealed class RelayReply
{
    public static RelayReply LinkUnknown { get; } = new() { Outcome = RelayOutcome.LinkUnknown };

    [Id(0)]
    public RelayOutcome Outcome { get; set; }

    [Id(1)]
    public byte[][] Frames { get; set; } = [];

    /// <summary>The grain activation that answered: a connection remembers it, and a duplicate activation learns it is not the one in use.</summary>
    [Id(2)]
    public Guid Activation { get; set; }
}
