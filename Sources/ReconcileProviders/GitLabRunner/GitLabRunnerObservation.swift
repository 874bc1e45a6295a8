import ReconcileCore

/// A runner as the host shows it. Holds no token: only whether the configured one matches.
public struct GitLabRunnerObservation: Codable, Sendable, Equatable {
    /// base, prepare, run, cleanup.
    public var scripts: [FileObservation]
    public var config: RunnerConfig.Observation
    /// service, purge, purgeTimer.
    public var units: [UnitObservation]
    public var hostCacheDir: FileObservation
    public var userExists: Bool
    public var groupExists: Bool
    /// The existing user's primary group, for a runner whose group defaulted to the user's name.
    public var userPrimaryGroup: String?
    public var executableRunnable: Bool
    public var token: TokenObservation?

    /// What a probe learnt about the manifest's token without keeping it.
    public struct TokenObservation: Codable, Sendable, Equatable {
        /// A runner authentication token (`glrt-…`) is written into config.toml; anything else is a
        /// legacy registration token for `gitlab-runner register`.
        public var isAuthenticationToken: Bool?
        /// Why it could not be read (variable not set, file missing).
        public var problem: String?
        /// A token file others may read.
        public var fileMode: UInt32?

        public init(isAuthenticationToken: Bool? = nil, problem: String? = nil, fileMode: UInt32? = nil) {
            self.isAuthenticationToken = isAuthenticationToken
            self.problem = problem
            self.fileMode = fileMode
        }
    }

    public init(
        scripts: [FileObservation], config: RunnerConfig.Observation, units: [UnitObservation], hostCacheDir: FileObservation,
        userExists: Bool, groupExists: Bool, userPrimaryGroup: String? = nil, executableRunnable: Bool, token: TokenObservation?
    ) {
        self.scripts = scripts
        self.config = config
        self.units = units
        self.hostCacheDir = hostCacheDir
        self.userExists = userExists
        self.groupExists = groupExists
        self.userPrimaryGroup = userPrimaryGroup
        self.executableRunnable = executableRunnable
        self.token = token
    }

    private enum CodingKeys: String, CodingKey {
        case scripts, config, units, hostCacheDir, userExists, groupExists, userPrimaryGroup, executableRunnable, token
    }

    /// Facts files are read back: one entry per script and per unit, or `unit(_:)` and
    /// `script(_:)` would index past the end; a damaged file is an error naming the key.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        scripts = try container.decode([FileObservation].self, forKey: .scripts)
        config = try container.decode(RunnerConfig.Observation.self, forKey: .config)
        units = try container.decode([UnitObservation].self, forKey: .units)
        hostCacheDir = try container.decode(FileObservation.self, forKey: .hostCacheDir)
        userExists = try container.decode(Bool.self, forKey: .userExists)
        groupExists = try container.decode(Bool.self, forKey: .groupExists)
        userPrimaryGroup = try container.decodeIfPresent(String.self, forKey: .userPrimaryGroup)
        executableRunnable = try container.decode(Bool.self, forKey: .executableRunnable)
        token = try container.decodeIfPresent(TokenObservation.self, forKey: .token)
        for (key, count, wanted) in [
            (CodingKeys.scripts, scripts.count, ExecutorScripts.Script.allCases.count),
            (.units, units.count, RunnerUnits.Role.allCases.count),
        ] where count != wanted {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "\(wanted) entries expected, found \(count)")
        }
    }

    public func unit(_ role: RunnerUnits.Role) -> UnitObservation {
        units[RunnerUnits.Role.allCases.firstIndex(of: role) ?? 0]
    }

    public func script(_ script: ExecutorScripts.Script) -> FileObservation {
        scripts[ExecutorScripts.Script.allCases.firstIndex(of: script) ?? 0]
    }
}
