using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SqlSync.Server;

/// <summary>
/// Secure by default: with no <see cref="SqlSyncServerOptions.Authorize"/> hook every client may read and write
/// every document, so the server says so at start, and outside the Development environment refuses to start unless
/// <see cref="SqlSyncServerOptions.AllowAnonymous"/> was set (docs/decisions/0011-timeline-secrets-and-quotas.md).
/// Registered before the coordinator host, so a refused start opens no document.
/// </summary>
internal sealed class AnonymousAccessCheck : IHostedService
{
    private readonly SqlSyncServerOptions _options;
    private readonly IHostEnvironment? _environment;
    private readonly ILogger<AnonymousAccessCheck> _logger;

    public AnonymousAccessCheck(IOptions<SqlSyncServerOptions> options, ILogger<AnonymousAccessCheck> logger, IHostEnvironment? environment = null)
    {
        _options = options.Value;
        _logger = logger;
        _environment = environment;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Authorize is not null)
        {
            return Task.CompletedTask;
        }

        bool development = _environment?.IsDevelopment() ?? false;
        if (!_options.AllowAnonymous && !development)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"SqlSync has no Authorize hook, so every client could read and write every document; the {_environment?.EnvironmentName ?? "current"} environment "
                + "serves that only when asked: set options.Authorize, or options.AllowAnonymous = true to serve anonymous clients.");
        }

        _logger.LogWarning("SqlSync has no Authorize hook: every client may read and write every document ({Reason}). Set options.Authorize to control access.",
            _options.AllowAnonymous ? "AllowAnonymous is set" : "allowed in Development only");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
