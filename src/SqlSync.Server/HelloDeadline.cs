using System.Net.WebSockets;
using SqlSync.Transport;

namespace SqlSync.Server;

/// <summary>
/// Closes a connection that has not completed its hello in time: it tells the peer why (close status 1008, policy
/// violation) and, since a silent peer never completes the close handshake, aborts the socket a moment later unless
/// the connection ended by then. <see cref="TryStop"/> and the timer race safely: exactly one of them wins.
/// </summary>
internal sealed class HelloDeadline : IAsyncDisposable
{
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);
    private readonly WebSocket _socket;
    private readonly CancellationTokenSource _timer;
    private readonly CancellationTokenSource _ended = new();
    private readonly CancellationTokenRegistration _registration;
    private Task _closing = Task.CompletedTask;
    private int _state; // 0 waiting, 1 met, 2 expired

    public HelloDeadline(WebSocket socket, TimeSpan timeout)
    {
        _socket = socket;
        Limit = timeout;
        _timer = new CancellationTokenSource(timeout);
        _registration = _timer.Token.Register(Expire);
    }

    public TimeSpan Limit { get; }

    /// <summary>True when the deadline passed before the hello arrived (the connection is being closed).</summary>
    public bool Expired => Volatile.Read(ref _state) == 2;

    /// <summary>
    /// Stops the deadline: the hello arrived, or the connection ends for another reason. False when the deadline
    /// passed first (the connection is being closed).
    /// </summary>
    public bool TryStop()
    {
        bool met = Interlocked.CompareExchange(ref _state, 1, 0) != 2;
        _timer.CancelAfter(Timeout.InfiniteTimeSpan); // stops the timer (thread-safe, unlike Dispose)
        return met;
    }

    /// <summary>Waits for a close in progress; call when the connection has ended.</summary>
    public async ValueTask DisposeAsync()
    {
        await _ended.CancelAsync().ConfigureAwait(false);
        await _registration.DisposeAsync().ConfigureAwait(false);
        await _closing.ConfigureAwait(false);
        _timer.Dispose();
        _ended.Dispose();
    }

    private void Expire()
    {
        if (Interlocked.CompareExchange(ref _state, 2, 0) == 0)
        {
            _closing = CloseAsync();
        }
    }

    private async Task CloseAsync()
    {
        await WebSocketFrames.CloseOutputQuietlyAsync(_socket, WebSocketCloseStatus.PolicyViolation, "no hello in time").ConfigureAwait(false);
        try
        {
            await Task.Delay(CloseGrace, _ended.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // the connection ended: the peer answered the close
        }

        _socket.Abort();
    }
}
