using Azure;
using Azure.Core;
using Azure.Storage.Blobs;

namespace SqlSync.Storage.Azure;

/// <summary>
/// How the Azure journals talk to the service: the client's retry policy (exponential backoff on transient
/// errors: timeouts, 408, 429, 5xx, dropped connections) and the one place a failed request becomes a
/// <see cref="SqlSyncException"/> with a code a document acts on.
/// </summary>
internal static class BlobRequests
{
    /// <summary>
    /// Client options: retries with backoff, and a pinned service version that Azurite 3.37 and the cloud both
    /// accept (the client's newest default is refused by Azurite without <c>--skipApiVersionCheck</c>).
    /// </summary>
    public static BlobClientOptions ClientOptions(Action<BlobClientOptions>? configure = null)
    {
        var options = new BlobClientOptions(BlobClientOptions.ServiceVersion.V2025_01_05);
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = 6;
        options.Retry.Delay = TimeSpan.FromMilliseconds(50);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(4);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        configure?.Invoke(options);
        return options;
    }

    /// <summary>Runs one request; what still fails after the client's retries is thrown as a <see cref="SqlSyncException"/>.</summary>
    public static T Run<T>(string what, Func<T> request)
    {
        try
        {
            return request();
        }
        catch (RequestFailedException e) when (e.Status is 401 or 403)
        {
            throw new SqlSyncException(SqlSyncErrorCode.ObjectStoreAccessDenied,
                $"The object store refused to {what} ({e.Status} {e.ErrorCode}): check the connection string's account key, or that " +
                "its SAS or role grants read, write, list and delete on the container.", e);
        }
        catch (RequestFailedException e)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalIo,
                $"The object store could not {what} after retries ({e.Status} {e.ErrorCode}).", e);
        }
        catch (Exception e) when (e is IOException or AggregateException or TimeoutException or OperationCanceledException)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalIo,
                $"The object store could not {what} after retries ({e.GetType().Name}: {e.Message}).", e);
        }
    }

    /// <summary>True for the answer to a conditional create of a name that exists.</summary>
    public static bool IsAlreadyExists(RequestFailedException e) =>
        e.Status == 409 && e.ErrorCode == "BlobAlreadyExists" || e.Status == 412;
}
