global using SqlSync.Testing;
global using Xunit;
