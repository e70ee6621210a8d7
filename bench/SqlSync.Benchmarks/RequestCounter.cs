using Azure.Core;
using Azure.Core.Pipeline;

namespace SqlSync.Benchmarks;

/// <summary>
/// Counts the requests a blob container client sends, each try of a retry included (added per retry): what a real
/// account bills. Put Blob is a write operation, List Blobs a list operation, Get and Head reads, Delete free.
/// </summary>
internal sealed class RequestCounter : HttpPipelinePolicy
{
    private long _writes, _lists, _reads, _deletes;

    public (long Writes, long Lists, long Reads, long Deletes) Snapshot() =>
        (Interlocked.Read(ref _writes), Interlocked.Read(ref _lists), Interlocked.Read(ref _reads), Interlocked.Read(ref _deletes));

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Count(message.Request);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Count(message.Request);
        return ProcessNextAsync(message, pipeline);
    }

    private void Count(Request request)
    {
        if (request.Method == RequestMethod.Put)
        {
            Interlocked.Increment(ref _writes);
        }
        else if (request.Method == RequestMethod.Delete)
        {
            Interlocked.Increment(ref _deletes);
        }
        else if (request.Uri.Query.Contains("comp=list", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _lists);
        }
        else
        {
            Interlocked.Increment(ref _reads);
        }
    }
}
