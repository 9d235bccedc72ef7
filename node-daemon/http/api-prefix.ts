/** Where the API lives; everything under it is JSON and passes the auth layer. */
export const API_PREFIX = '/api/v1';
