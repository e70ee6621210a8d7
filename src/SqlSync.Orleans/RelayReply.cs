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
}
