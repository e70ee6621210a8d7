namespace SqlSync.Storage.Checkpoints;

/// <summary>Points while a checkpoint is written and the journal's prefix dropped, where tests inject a crash.</summary>
internal enum CheckpointWritePoint
{
    /// <summary>The temporary file is created and its header written.</summary>
    AfterHeader,
    /// <summary>Half of the pages are written to the temporary file.</summary>
    MidPages,
    /// <summary>The temporary file is whole and fsync'd, not yet renamed.</summary>
    BeforeRename,
    /// <summary>Renamed into place and the directory fsync'd: the checkpoint exists.</summary>
    AfterRename,
    /// <summary>The storage journal's prefix is dropped; older checkpoint files are not yet deleted.</summary>
    AfterDropPrefix,
}
