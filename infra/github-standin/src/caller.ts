/** Who made a request, once authenticated: a user, or an app installation's bot. A leaf, so every module can name it. */
export interface Caller {
  login: string;
  type: 'User' | 'Bot';
}
