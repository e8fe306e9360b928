// Entry point: the server serves index.html for `/` and `/room/ID`; route on the path.
// The room (with the notes editor) is a separate chunk: the landing page does not load it.

import './style.css';
import { mountLanding } from './landing';
import { routeFor } from './route';

const root = document.getElementById('app');
if (root) {
  const route = routeFor(location.pathname, location.hash);
  if (route.page === 'room') {
    import('./room').then(
      (m) => m.mountRoom(root, route.room, route.token),
      () => {
        root.textContent = 'The interview room could not be loaded. Check your connection and reload the page.';
      },
    );
  } else {
    mountLanding(root);
  }
}
