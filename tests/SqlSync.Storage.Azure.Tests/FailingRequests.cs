using Azure.Core;
using Azure.Core.Pipeline;

namespace SqlSync.Storage.Azure;

/// <summary>
/// A pipeline policy that fails chosen requests, before they are sent (the service never sees them) or after
/// (the service did the work and the answer is lost), as a network would. Counts every request it sees.
/// </summary>
internal sealed class FailingRequests : HttpPipelinePolicy
{
    private int _seen;

    /// <summary>Decides for request number n (from 1) whether to fail it, and whether after sending.</summary>
    public Func<int, Request, (bool Fail, bool AfterSend)> Rule { get; set; } = (_, _) => (false, false);

    /// <summary>How many requests went through.</summary>
    public int Seen => Volatile.Read(ref _seen);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        (bool fail, bool afterSend) = Rule(Interlocked.Increment(ref _seen), message.Request);
        if (fail && !afterSend)
        {
            throw new IOException("injected: the connection dropped before the request was sent");
        }

        ProcessNext(message, pipeline);
        if (fail)
        {
            throw new IOException("injected: the connection dropped before the answer came");
        }
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Process(message, pipeline);
        return ValueTask.CompletedTask;
    }
}
