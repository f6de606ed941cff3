/** Base class so callers can `instanceof BatchIamDriftError` for anything thrown on purpose. */
export class BatchIamDriftError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The command line, environment or credentials are unusable: the audit cannot start. Exit code 2. */
export class ConfigError extends BatchIamDriftError {
  public override readonly name: string = 'ConfigError';
}
